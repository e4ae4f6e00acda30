package ua_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

// selfSigned returns a certificate nobody trusts, for 192.0.2.10.
func selfSigned(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "rogue registrar"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("192.0.2.10")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestRegisterTLSFailure: a registrar whose certificate does not verify
// gives a registration failure of kind FailTLS, naming the problem.
func TestRegisterTLSFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		ln := tls.NewListener(e.nw.MustListen(t, "192.0.2.10:5061"), &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}})
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					_ = c.(*tls.Conn).Handshake()
					_, _ = c.Read(make([]byte, 1))
				}()
			}
		}()
		p := e.agent("192.0.2.1", "alice", "apw", func(c *ua.Config) {
			c.Accounts[0].Transport = "tls"
			c.Accounts[0].Registrar = "sip:192.0.2.10:5061"
			c.Accounts[0].OutboundProxy = ""
		})
		p.wantReg(ua.RegRegistering)
		r := p.wantReg(ua.RegFailed)
		if r.Kind != ua.FailTLS {
			t.Errorf("failure = %+v, want FailTLS", r)
		}
		t.Logf("reason: %s", r.Reason)
	})
}
