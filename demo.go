package main

import (
	"context"
	"log/slog"
	"net"

	"github.com/teaphone/teaphone/contacts"
	"github.com/teaphone/teaphone/internal/demo"
	"github.com/teaphone/teaphone/ua"
)

// startDemo starts the in-process demo peers (an echo user and Alice, who
// is away) on loopback and returns the user's side: a direct-IP account on
// a reserved loopback socket and the two contacts, both favourites so the
// TUI subscribes to their presence at once.
func startDemo(ctx context.Context, log *slog.Logger) (demoSetup, error) {
	peer, err := demo.Start(ctx, demo.Options{Logger: log.With("part", "demo")})
	if err != nil {
		return demoSetup{}, err
	}
	uc := peer.UserConfig()
	s := demoSetup{
		peer: peer,
		accounts: []ua.Account{{Name: "demo", User: uc.User, Domain: uc.Domain, DisplayName: uc.DisplayName,
			NoRegister: true, Codecs: []string{"PCMU"}}},
		conns: []net.PacketConn{uc.Conn},
	}
	for _, c := range uc.Contacts {
		s.contacts = append(s.contacts, contacts.Contact{Name: c.Name, URI: c.URI, Favorite: c.Favourite, Note: c.Note})
	}
	return s, nil
}
