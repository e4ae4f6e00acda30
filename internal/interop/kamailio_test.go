package interop

import (
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"
)

func TestKamailioAnswersOptions(t *testing.T) {
	t.Parallel()
	for _, qop := range []bool{false, true} {
		k := StartKamailio(t, KamailioOptions{QOP: qop})
		for _, tr := range []string{"udp", "tcp", "tls"} {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			code, err := k.Ping(ctx, tr)
			cancel()
			if err != nil || code != 200 {
				t.Errorf("qop=%v OPTIONS over %s = %d, %v; want 200", qop, tr, code, err)
			}
		}
		if _, err := k.Lookup("alice"); !errors.Is(err, ErrNotRegistered) {
			t.Errorf("Lookup(alice) before REGISTER: err = %v, want ErrNotRegistered", err)
		}
		if got := len(k.Users()); got != 3 {
			t.Errorf("len(Users()) = %d, want 3", got)
		}
	}
}

func TestKamailioTLSRejectsUnknownCA(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	// The system roots do not know the self-signed certificate.
	_, err := OptionsPing(ctx, "tls", k.TLSAddr, &tls.Config{ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		t.Errorf("TLS without the CA: err = %v, want a certificate verification error", err)
	}
}
