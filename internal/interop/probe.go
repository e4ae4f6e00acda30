package interop

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Ping sends one OPTIONS to kamailio over "udp", "tcp" or "tls" and returns
// the response status code. TLS verifies the server against CAFile.
// A kamailio in a network namespace is probed from inside it.
func (k *Kamailio) Ping(ctx context.Context, transport string) (int, error) {
	var code int
	err := InNetns(k.Netns, func() error {
		var err error
		switch transport {
		case "udp", "tcp":
			code, err = OptionsPing(ctx, transport, k.Addr, nil)
		case "tls":
			cfg, cerr := k.TLSConfig()
			if cerr != nil {
				return cerr
			}
			code, err = OptionsPing(ctx, "tls", k.TLSAddr, cfg)
		default:
			err = fmt.Errorf("interop: unknown transport %q", transport)
		}
		return err
	})
	return code, err
}

// TLSConfig returns a client config trusting only kamailio's self-signed
// certificate (server name: the listen address).
func (k *Kamailio) TLSConfig() (*tls.Config, error) {
	pem, err := os.ReadFile(k.CAFile)
	if err != nil {
		return nil, fmt.Errorf("interop: ca file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("interop: ca file holds no certificate")
	}
	return &tls.Config{RootCAs: pool, ServerName: k.IP, MinVersion: tls.VersionTLS12}, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// OptionsPing sends an OPTIONS request (RFC 3261 §11) to addr over "udp",
// "tcp" or "tls" (tlsConfig required) and returns the status code of the
// first final response. Over UDP the request is retransmitted with Timer E
// doubling from 500 ms (RFC 3261 §17.1.2.2) until ctx ends.
func OptionsPing(ctx context.Context, transport, addr string, tlsConfig *tls.Config) (int, error) {
	var d net.Dialer
	var conn net.Conn
	var err error
	switch transport {
	case "udp", "tcp":
		conn, err = d.DialContext(ctx, transport, addr)
	case "tls":
		td := tls.Dialer{NetDialer: &d, Config: tlsConfig}
		conn, err = td.DialContext(ctx, "tcp", addr)
	default:
		return 0, fmt.Errorf("interop: unknown transport %q", transport)
	}
	if err != nil {
		return 0, fmt.Errorf("interop: options %s %s: %w", transport, addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	local := conn.LocalAddr().String()
	host, _, _ := net.SplitHostPort(local)
	ruri := "sip:" + addr
	if transport == "tls" {
		ruri += ";transport=tls"
	} else if transport == "tcp" {
		ruri += ";transport=tcp"
	}
	// RFC 3261 §8.1.1: the mandatory header fields; §18.2.1 Via sent-by.
	req := "OPTIONS " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/" + strings.ToUpper(transport) + " " + local + ";branch=z9hG4bK" + randHex(8) + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:probe@" + host + ">;tag=" + randHex(4) + "\r\n" +
		"To: <sip:" + addr + ">\r\n" +
		"Call-ID: " + randHex(10) + "@" + host + "\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"Accept: application/sdp\r\n" +
		"Content-Length: 0\r\n\r\n"

	if transport != "udp" {
		if _, err := conn.Write([]byte(req)); err != nil {
			return 0, fmt.Errorf("interop: options: %w", err)
		}
		br := bufio.NewReader(conn)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return 0, fmt.Errorf("interop: options reply: %w", err)
			}
			code, final, ok := statusCode(line)
			if ok && final {
				return code, nil
			}
		}
	}

	buf := make([]byte, 65535)
	interval := 500 * time.Millisecond // T1
	for {
		if _, err := conn.Write([]byte(req)); err != nil {
			return 0, fmt.Errorf("interop: options: %w", err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(interval))
		for {
			n, err := conn.Read(buf)
			if err != nil {
				if ctx.Err() != nil {
					return 0, fmt.Errorf("interop: options %s: %w", addr, ctx.Err())
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break // retransmit
				}
				return 0, fmt.Errorf("interop: options reply: %w", err)
			}
			line, _, _ := strings.Cut(string(buf[:n]), "\n")
			if code, final, ok := statusCode(line); ok && final {
				return code, nil
			}
		}
		interval = min(2*interval, 4*time.Second) // T2
	}
}

// statusCode parses a Status-Line (RFC 3261 §7.2).
func statusCode(line string) (code int, final, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(line), "SIP/2.0 ")
	if !found || len(rest) < 3 {
		return 0, false, false
	}
	c, err := strconv.Atoi(rest[:3])
	if err != nil {
		return 0, false, false
	}
	return c, c >= 200, true
}
