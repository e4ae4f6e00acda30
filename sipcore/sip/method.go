package sip

// Request methods (RFC 3261 §7.1 and the extensions teaphone speaks).
// Methods are case-sensitive (§7.1).
const (
	MethodInvite    = "INVITE"    // RFC 3261
	MethodAck       = "ACK"       // RFC 3261
	MethodBye       = "BYE"       // RFC 3261
	MethodCancel    = "CANCEL"    // RFC 3261
	MethodOptions   = "OPTIONS"   // RFC 3261
	MethodRegister  = "REGISTER"  // RFC 3261
	MethodPrack     = "PRACK"     // RFC 3262
	MethodSubscribe = "SUBSCRIBE" // RFC 6665
	MethodNotify    = "NOTIFY"    // RFC 6665
	MethodPublish   = "PUBLISH"   // RFC 3903
	MethodInfo      = "INFO"      // RFC 6086
	MethodRefer     = "REFER"     // RFC 3515
	MethodMessage   = "MESSAGE"   // RFC 3428
	MethodUpdate    = "UPDATE"    // RFC 3311
)

// KnownMethods returns the methods defined above (a fresh slice each call).
func KnownMethods() []string {
	return []string{MethodInvite, MethodAck, MethodBye, MethodCancel, MethodOptions,
		MethodRegister, MethodPrack, MethodSubscribe, MethodNotify, MethodPublish,
		MethodInfo, MethodRefer, MethodMessage, MethodUpdate}
}

// IsKnownMethod reports whether m is one of the Method constants.
func IsKnownMethod(m string) bool {
	switch m {
	case MethodInvite, MethodAck, MethodBye, MethodCancel, MethodOptions,
		MethodRegister, MethodPrack, MethodSubscribe, MethodNotify, MethodPublish,
		MethodInfo, MethodRefer, MethodMessage, MethodUpdate:
		return true
	}
	return false
}

// IsValidMethod reports whether m is a syntactically valid method (a token,
// RFC 3261 §25.1 "Method = ... / extension-method").
func IsValidMethod(m string) bool { return isToken(m) }
