package contacts

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
)

func mustAdd(t *testing.T, b *Book, c Contact) Contact {
	t.Helper()
	got, err := b.Add(c)
	if err != nil {
		t.Fatalf("Add(%+v): %v", c, err)
	}
	return got
}

func names(cs []Contact) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.DisplayName()
	}
	return out
}

func TestBookCRUD(t *testing.T) {
	b := NewBook()
	alice := mustAdd(t, b, Contact{Name: "  Alice ", URI: " sip:alice@example.com ", Tags: []string{"work", "Work", " "}})
	if alice.ID == "" {
		t.Fatal("Add did not assign an ID")
	}
	if alice.Name != "Alice" || alice.URI != "sip:alice@example.com" {
		t.Errorf("Add did not trim: %+v", alice)
	}
	if got, want := alice.Tags, []string{"work"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tags = %q, want %q", got, want)
	}
	got, ok := b.Get(alice.ID)
	if !ok || !reflect.DeepEqual(got, alice) {
		t.Errorf("Get = %+v, %v; want %+v", got, ok, alice)
	}
	// The book hands out copies.
	got.Tags[0] = "changed"
	if again, _ := b.Get(alice.ID); again.Tags[0] != "work" {
		t.Errorf("Get returned shared slice: tags now %q", again.Tags)
	}

	alice.Note = "new note"
	alice.Numbers = []string{"+44 20 7946 0001"}
	if err := b.Update(alice); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got, _ := b.Get(alice.ID); got.Note != "new note" || len(got.Numbers) != 1 {
		t.Errorf("after Update got %+v", got)
	}
	if c, ok := b.Lookup("tel:+442079460001"); !ok || c.ID != alice.ID {
		t.Errorf("Lookup of new number = %+v, %v", c, ok)
	}
	if err := b.Update(Contact{ID: "nope", URI: "sip:x@y"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update unknown = %v, want ErrNotFound", err)
	}
	if err := b.SetFavorite(alice.ID, true); err != nil {
		t.Fatal(err)
	}
	if favs := b.Favorites(); len(favs) != 1 || favs[0].ID != alice.ID {
		t.Errorf("Favorites = %v", names(favs))
	}
	if err := b.Delete(alice.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := b.Delete(alice.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	if _, ok := b.Lookup("sip:alice@example.com"); ok {
		t.Error("Lookup finds a deleted contact")
	}
	if b.Len() != 0 {
		t.Errorf("Len = %d, want 0", b.Len())
	}
	// The deleted contact's URI is free again.
	mustAdd(t, b, Contact{Name: "Alice 2", URI: "alice@example.com"})
}

func TestBookAddErrors(t *testing.T) {
	b := NewBook()
	mustAdd(t, b, Contact{ID: "a", Name: "Alice", URI: "sip:alice@example.com", Numbers: []string{"+1 202 555 0143"}})
	tests := []struct {
		name string
		c    Contact
		want error
	}{
		{"no uri", Contact{Name: "X"}, ErrNoURI},
		{"bad uri", Contact{URI: "mailto:x@y"}, ErrInvalidURI},
		{"bad number", Contact{URI: "sip:x@y", Numbers: []string{"call me"}}, ErrInvalidURI},
		{"same uri", Contact{URI: "sip:alice@example.com"}, ErrDuplicateURI},
		{"same uri other spelling", Contact{URI: "SIPS:alice@EXAMPLE.com:5061;transport=tls"}, ErrDuplicateURI},
		{"same number", Contact{URI: "sip:bob@example.com", Numbers: []string{"tel:+1-202-555-0143"}}, ErrDuplicateURI},
	}
	for _, tt := range tests {
		_, err := b.Add(tt.c)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Add err = %v, want %v", tt.name, err, tt.want)
		}
	}
	var de *DuplicateURIError
	_, err := b.Add(Contact{URI: "sip:bob@example.com", Numbers: []string{"+12025550143"}})
	if !errors.As(err, &de) || de.ContactID != "a" || de.URI != "+12025550143" || de.ContactName != "Alice" {
		t.Errorf("duplicate error = %#v", err)
	}
	if _, err := b.Add(Contact{ID: "a", URI: "sip:z@z"}); err == nil {
		t.Error("Add with an ID in use succeeded")
	}
	// Updating a contact without changing its URI is not a duplicate.
	c, _ := b.Get("a")
	c.Name = "Alice L."
	if err := b.Update(c); err != nil {
		t.Errorf("Update keeping own URI: %v", err)
	}
	if err := b.FindDuplicates(Contact{URI: "alice@example.com"}); !errors.Is(err, ErrDuplicateURI) {
		t.Errorf("FindDuplicates = %v", err)
	}
	if err := b.FindDuplicates(c); err != nil {
		t.Errorf("FindDuplicates(self) = %v", err)
	}
	// The same address twice inside one contact is merged, not refused.
	got := mustAdd(t, b, Contact{URI: "tel:+31201234567", Numbers: []string{"+31 20 123 4567", "sip:carol@example.nl"}})
	if want := []string{"sip:carol@example.nl"}; !reflect.DeepEqual(got.Numbers, want) {
		t.Errorf("Numbers = %q, want %q", got.Numbers, want)
	}
}

func TestBookAllOrder(t *testing.T) {
	b := NewBook()
	for _, c := range []Contact{
		{Name: "zed", URI: "sip:z@x"},
		{Name: "Bob", URI: "sip:b@x", Favorite: true},
		{Name: "", URI: "sip:anon@x"},
		{Name: "alice", URI: "sip:a@x"},
		{Name: "Yvonne", URI: "sip:y@x", Favorite: true},
	} {
		mustAdd(t, b, c)
	}
	want := []string{"Bob", "Yvonne", "alice", "sip:anon@x", "zed"}
	if got := names(b.All()); !reflect.DeepEqual(got, want) {
		t.Errorf("All = %q, want %q", got, want)
	}
	if got, want := names(b.Favorites()), []string{"Bob", "Yvonne"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Favorites = %q, want %q", got, want)
	}
}

func TestBookLookup(t *testing.T) {
	b := NewBook()
	mustAdd(t, b, Contact{ID: "alice", Name: "Alice", URI: "sip:alice@example.com", Numbers: []string{"+49 30 12345678"}})
	mustAdd(t, b, Contact{ID: "pbx", Name: "Reception", URI: "sip:100@pbx.example.net"})
	mustAdd(t, b, Contact{ID: "carol", Name: "Carol", URI: "tel:+1-202-555-0143"})
	mustAdd(t, b, Contact{ID: "v6", Name: "Six", URI: "sip:six@[2001:db8::1]"})
	mustAdd(t, b, Contact{ID: "s1", Name: "Same tail 1", URI: "+33 1 99887766"})
	mustAdd(t, b, Contact{ID: "s2", Name: "Same tail 2", URI: "+34 9 99887766"})
	tests := []struct {
		from string
		want string // contact ID, "" for no match
	}{
		{`"Alice" <sip:alice@example.com>;tag=1928301774`, "alice"},
		{"sip:alice@EXAMPLE.COM:5060;transport=tcp", "alice"},
		{"sips:alice@example.com", "alice"},
		{"sip:Alice@example.com", ""}, // user part is case-sensitive
		{"sip:alice@example.org", ""},
		{"sip:+493012345678@trunk.example;user=phone", "alice"},
		{"tel:+49-30-1234-5678", "alice"},
		{"sip:03012345678@trunk.example", "alice"}, // national format, last 8 digits
		{"<sip:100@pbx.example.net>", "pbx"},
		{"sip:100@other-pbx.example", "pbx"}, // same extension, other host: only one contact has 100
		{"sip:+12025550143@gw.example", "carol"},
		{"12025550143", "carol"},
		{"sip:six@[2001:DB8::1]:5060", "v6"},
		{"sip:x@gw;user=phone", ""},
		{"tel:99887766", ""}, // matches two contacts' last 8 digits: ambiguous
		{"garbage", ""},
	}
	for _, tt := range tests {
		c, ok := b.Lookup(tt.from)
		if got := c.ID; got != tt.want || ok != (tt.want != "") {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tt.from, got, ok, tt.want)
		}
	}
}

func TestBookSearchRanking(t *testing.T) {
	b := NewBook()
	for _, c := range []Contact{
		{ID: "al", Name: "Al", URI: "sip:al@x.example"},
		{ID: "alice", Name: "Alice Liddell", URI: "sip:alice@wonder.example", Tags: []string{"work"}},
		{ID: "alan", Name: "Alan Turing", URI: "sip:alan@bletchley.example", Favorite: true},
		{ID: "sal", Name: "Sally Salmon", URI: "sip:sally@fish.example"},
		{ID: "mal", Name: "Malcolm", URI: "sip:mal@x.example", Note: "met alice at the party"},
		{ID: "js", Name: "John Smith", URI: "tel:+44 20 7946 0000", Numbers: []string{"sip:jsmith@corp.example"}},
		{ID: "bob", Name: "Bob", URI: "sip:bob@alpha.example"},
		{ID: "wt", Name: "Walter White", URI: "sip:heisenberg@lab.example", Tags: []string{"chemistry"}},
	} {
		mustAdd(t, b, c)
	}
	ids := func(rs []Result) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Contact.ID)
		}
		return out
	}
	tests := []struct {
		q    string
		want []string
	}{
		// exact name, then name prefixes (favourite Alan before Alice on a
		// tie), then a word prefix in a URI (alpha.example), then name
		// substrings in All order, then the note.
		{"al", []string{"al", "alan", "alice", "bob", "mal", "sal", "wt"}},
		{"ALICE", []string{"alice", "mal"}},
		{"turing", []string{"alan"}},
		{"liddell alice", []string{"alice"}},
		{"wonder", []string{"alice"}},
		{"7946", []string{"js"}},
		{"020 7946", []string{"js"}}, // national format: the trunk 0 is dropped
		{"+44 20 7946", []string{"js"}},
		{"jsmth", []string{"js"}}, // fuzzy, in-order letters of the name
		{"chem", []string{"wt"}},
		{"heisenberg", []string{"wt"}},
		{"zzz", nil},
	}
	for _, tt := range tests {
		if got := ids(b.Search(tt.q)); !slices.Equal(got, tt.want) {
			t.Errorf("Search(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
	if got := len(b.Search("  ")); got != b.Len() {
		t.Errorf("empty search returned %d contacts, want all %d", got, b.Len())
	}
}

func TestBookImport(t *testing.T) {
	b := NewBook()
	mustAdd(t, b, Contact{Name: "Alice", URI: "sip:alice@example.com"})
	added, errs := b.Import([]Contact{
		{ID: "ignored", Name: "New", URI: "sip:new@example.com"},
		{Name: "Alice again", URI: "alice@example.com"},
		{Name: "Broken", URI: "nope"},
	})
	if len(added) != 1 || added[0].Name != "New" || added[0].ID == "ignored" {
		t.Errorf("added = %+v", added)
	}
	if len(errs) != 2 || !errors.Is(errs[0], ErrDuplicateURI) || !errors.Is(errs[1], ErrInvalidURI) {
		t.Errorf("errs = %v", errs)
	}
}

// TestBookConcurrent is meant for -race: UI commands run on goroutines.
func TestBookConcurrent(t *testing.T) {
	b := NewBook()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				c, err := b.Add(Contact{Name: fmt.Sprintf("n%d-%d", g, i), URI: fmt.Sprintf("sip:u%d-%d@example.com", g, i)})
				if err != nil {
					t.Errorf("Add: %v", err)
					return
				}
				c.Favorite = i%2 == 0
				if err := b.Update(c); err != nil {
					t.Errorf("Update: %v", err)
				}
				b.Search("n1")
				b.Lookup(c.URI)
				b.All()
				b.Favorites()
				if i%5 == 0 {
					if err := b.Delete(c.ID); err != nil {
						t.Errorf("Delete: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	if got, want := b.Len(), 8*40; got != want {
		t.Errorf("Len = %d, want %d", got, want)
	}
}
