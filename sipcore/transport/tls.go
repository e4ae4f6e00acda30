package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// CertificateError says in plain words why a peer's TLS certificate was
// refused (RFC 3261 §26.3.1 and RFC 5922 §7: the certificate must chain to
// a trusted root and match the target host). It wraps the x509 error.
type CertificateError struct {
	Host    string    // the server name we verified against
	Problem string    // "signed by unknown authority", "expired", "hostname mismatch", "not yet valid", ...
	Issuer  string    // issuer common name (or organisation) when known
	Subject string    // subject common name when known
	Names   []string  // names the certificate is valid for (hostname mismatch)
	Time    time.Time // NotAfter (expired) or NotBefore (not yet valid)
	Err     error     // the underlying x509 / tls error
}

func (e *CertificateError) Error() string {
	switch e.Problem {
	case ProblemUnknownAuthority:
		return fmt.Sprintf("tls: certificate for %s signed by unknown authority %q", e.Host, e.Issuer)
	case ProblemExpired:
		return fmt.Sprintf("tls: certificate for %s expired on %s (subject %q)", e.Host, e.Time.UTC().Format(time.RFC3339), e.Subject)
	case ProblemNotYetValid:
		return fmt.Sprintf("tls: certificate for %s not valid before %s (subject %q)", e.Host, e.Time.UTC().Format(time.RFC3339), e.Subject)
	case ProblemHostname:
		return fmt.Sprintf("tls: certificate for %s has hostname mismatch: valid for %s", e.Host, strings.Join(quoteAll(e.Names), ", "))
	}
	return fmt.Sprintf("tls: certificate for %s refused: %s: %v", e.Host, e.Problem, e.Err)
}

func (e *CertificateError) Unwrap() error { return e.Err }

// Problem values of CertificateError.
const (
	ProblemUnknownAuthority = "signed by unknown authority"
	ProblemExpired          = "expired"
	ProblemNotYetValid      = "not yet valid"
	ProblemHostname         = "hostname mismatch"
	ProblemInvalid          = "invalid certificate"
)

func quoteAll(ss []string) []string {
	if len(ss) == 0 {
		return []string{"no names"}
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func certName(c *x509.Certificate, issuer bool) string {
	if c == nil {
		return ""
	}
	n := c.Subject
	if issuer {
		n = c.Issuer
	}
	if n.CommonName != "" {
		return n.CommonName
	}
	if len(n.Organization) > 0 {
		return n.Organization[0]
	}
	return n.String()
}

func certNames(c *x509.Certificate) []string {
	if c == nil {
		return nil
	}
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	return names
}

// wrapCertError turns a handshake error carrying an x509 verification
// failure into a *CertificateError; other errors are returned unchanged.
func wrapCertError(host string, err error) error {
	if err == nil {
		return nil
	}
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var leaf *x509.Certificate
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) && len(cve.UnverifiedCertificates) > 0 {
		leaf = cve.UnverifiedCertificates[0]
	}
	ce := &CertificateError{Host: host, Err: err}
	switch {
	case errors.As(err, &ua):
		ce.Problem = ProblemUnknownAuthority
		if ua.Cert != nil {
			leaf = ua.Cert
		}
		ce.Issuer = certName(leaf, true)
	case errors.As(err, &he):
		ce.Problem = ProblemHostname
		if he.Certificate != nil {
			leaf = he.Certificate
		}
		ce.Names = certNames(leaf)
	case errors.As(err, &ci):
		if ci.Cert != nil {
			leaf = ci.Cert
		}
		ce.Problem = ProblemInvalid
		if ci.Reason == x509.Expired && leaf != nil {
			if time.Now().Before(leaf.NotBefore) {
				ce.Problem, ce.Time = ProblemNotYetValid, leaf.NotBefore
			} else {
				ce.Problem, ce.Time = ProblemExpired, leaf.NotAfter
			}
		} else if ci.Detail != "" {
			ce.Problem = ci.Detail
		}
	default:
		if cve == nil {
			return err
		}
		ce.Problem = ProblemInvalid
	}
	ce.Subject = certName(leaf, false)
	return ce
}

// clientTLSConfig returns the config for a TLS client connection to host:
// certificate verification is always on unless the base config says
// otherwise; roots are the system pool plus the optional CA file.
func clientTLSConfig(base *tls.Config, roots *x509.CertPool, host string) *tls.Config {
	var cfg *tls.Config
	if base != nil {
		cfg = base.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.RootCAs == nil {
		cfg.RootCAs = roots
	}
	if cfg.ServerName == "" {
		// RFC 5922 §7.2 / RFC 6066 §3: SNI and the name verified are the
		// target host (a domain, or an IP literal which Go verifies
		// against the IP SANs and does not send as SNI).
		cfg.ServerName = host
	}
	return cfg
}

// readCAFile reads caFile ("" for none) and checks it holds certificates.
func readCAFile(caFile string) ([]byte, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("transport: tls ca file: %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("transport: tls ca file %s: no pem certificates found", caFile)
	}
	return pem, nil
}

// trustRoots is the trust store: the system roots (when available) plus
// the CA file's certificates, built once on first use.
func (l *Layer) trustRoots() *x509.CertPool {
	l.rootsOnce.Do(func() {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if l.caPEM != nil {
			pool.AppendCertsFromPEM(l.caPEM)
		}
		l.roots = pool
	})
	return l.roots
}
