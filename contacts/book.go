package contacts

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Book is the address book. It is safe for concurrent use: the UI runs its
// commands on goroutines. Every method returns copies, never references to
// the Book's own data.
type Book struct {
	mu   sync.RWMutex
	byID map[string]*entry
	// byKey maps a normalized address (see NormalizeURI) to the contact
	// that owns it. An address belongs to at most one contact.
	byKey map[string]string
	// byPhone maps "tel:<digits>" of every telephone-number address (tel
	// URIs and sip URIs with a numeric user part) to contact IDs; several
	// contacts may share one ("sip:100@pbx-a" and "sip:100@pbx-b").
	byPhone map[string][]string
	// extra holds top-level keys of the contacts file this version does
	// not know, written back on Save.
	extra map[string]any
}

type entry struct {
	c      Contact
	keys   []string
	phones []string
	// extra holds the contact's unknown keys from the contacts file.
	extra  map[string]any
	search searchFields
}

// NewBook returns an empty Book.
func NewBook() *Book {
	return &Book{
		byID:    make(map[string]*entry),
		byKey:   make(map[string]string),
		byPhone: make(map[string][]string),
	}
}

// Len returns the number of contacts.
func (b *Book) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.byID)
}

// Add validates c, assigns an ID when c.ID is empty and adds it. It returns
// the contact as stored (trimmed, with its ID). It fails with an error
// wrapping ErrInvalidURI or ErrNoURI for bad addresses, and with a
// *DuplicateURIError when one of c's addresses already belongs to another
// contact.
func (b *Book) Add(c Contact) (Contact, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addLocked(c, nil)
}

func (b *Book) addLocked(c Contact, extra map[string]any) (Contact, error) {
	c, err := c.tidy()
	if err != nil {
		return Contact{}, err
	}
	if c.ID == "" {
		for c.ID == "" || b.byID[c.ID] != nil {
			c.ID = newID()
		}
	} else if b.byID[c.ID] != nil {
		return Contact{}, &DuplicateIDError{ID: c.ID}
	}
	e := &entry{c: c, extra: extra}
	e.keys, e.phones = c.keys()
	if err := b.checkDuplicates(e, ""); err != nil {
		return Contact{}, err
	}
	b.index(e)
	return c.clone(), nil
}

// DuplicateIDError is returned by Add for an explicit ID already in use.
type DuplicateIDError struct{ ID string }

func (e *DuplicateIDError) Error() string { return "duplicate contact id " + e.ID }

// Update replaces the contact with c.ID by c, keeping any unknown keys it
// had in the contacts file. Errors are those of Add, plus ErrNotFound.
func (b *Book) Update(c Contact) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.byID[strings.TrimSpace(c.ID)]
	if old == nil {
		return ErrNotFound
	}
	c, err := c.tidy()
	if err != nil {
		return err
	}
	e := &entry{c: c, extra: old.extra}
	e.keys, e.phones = c.keys()
	if err := b.checkDuplicates(e, c.ID); err != nil {
		return err
	}
	b.unindex(old)
	b.index(e)
	return nil
}

// SetFavorite marks or unmarks a contact as a favourite (a buddy whose
// presence the UA subscribes to).
func (b *Book) SetFavorite(id string, fav bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.byID[id]
	if e == nil {
		return ErrNotFound
	}
	e.c.Favorite = fav
	return nil
}

// Delete removes the contact with the given ID.
func (b *Book) Delete(id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.byID[id]
	if e == nil {
		return ErrNotFound
	}
	b.unindex(e)
	return nil
}

// Get returns the contact with the given ID.
func (b *Book) Get(id string) (Contact, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	e := b.byID[id]
	if e == nil {
		return Contact{}, false
	}
	return e.c.clone(), true
}

// All returns every contact: favourites first, then by display name
// (case-insensitive), then by ID.
func (b *Book) All() []Contact {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]Contact, 0, len(b.byID))
	for _, e := range b.byID {
		out = append(out, e.c.clone())
	}
	slices.SortFunc(out, compareContacts)
	return out
}

// Favorites returns the favourite contacts sorted by display name: the
// buddy list, whose URIs the UA subscribes to for presence.
func (b *Book) Favorites() []Contact {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []Contact
	for _, e := range b.byID {
		if e.c.Favorite {
			out = append(out, e.c.clone())
		}
	}
	slices.SortFunc(out, compareContacts)
	return out
}

func compareContacts(a, b Contact) int {
	if a.Favorite != b.Favorite {
		if a.Favorite {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(strings.ToLower(a.DisplayName()), strings.ToLower(b.DisplayName())); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// Lookup finds the contact that owns address uri, typically the From URI of
// an incoming call or message (a name-addr with tag is fine). It tries, in
// order: the exact normalized address (see NormalizeURI); then, when uri is
// a telephone number (tel:, a bare number, or a sip: URI with a numeric
// user part), the contact with the same digits; then a contact whose
// number ends in the same last 8 digits (so "+49 30 12345678" finds
// "030 12345678"). The phone steps only answer when exactly one contact
// matches.
func (b *Book) Lookup(uri string) (Contact, bool) {
	a, err := parseAddr(uri)
	if err != nil {
		return Contact{}, false
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if id, ok := b.byKey[a.key]; ok {
		return b.byID[id].c.clone(), true
	}
	if a.phone == "" {
		return Contact{}, false
	}
	if ids := b.byPhone[a.phone]; len(ids) == 1 {
		return b.byID[ids[0]].c.clone(), true
	} else if len(ids) > 1 {
		return Contact{}, false
	}
	want := trailingDigits(a.phone)
	if len(want) < minSuffixDigits {
		return Contact{}, false
	}
	want = want[len(want)-minSuffixDigits:]
	found := ""
	for k, ids := range b.byPhone {
		d := trailingDigits(k)
		if len(d) < minSuffixDigits || d[len(d)-minSuffixDigits:] != want {
			continue
		}
		for _, id := range ids {
			if found != "" && found != id {
				return Contact{}, false // ambiguous
			}
			found = id
		}
	}
	if found == "" {
		return Contact{}, false
	}
	return b.byID[found].c.clone(), true
}

// FindDuplicates reports, for a contact not yet in the book (or being
// edited: pass its ID as c.ID), the first address that another contact
// already has, as a *DuplicateURIError; nil when there is none or c is
// invalid. The UI can use it to warn while the user types.
func (b *Book) FindDuplicates(c Contact) error {
	c, err := c.tidy()
	if err != nil {
		return nil
	}
	e := &entry{c: c}
	e.keys, e.phones = c.keys()
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.checkDuplicates(e, c.ID)
}

func (b *Book) checkDuplicates(e *entry, self string) error {
	for i, k := range e.keys {
		if id, ok := b.byKey[k]; ok && id != self {
			other := b.byID[id].c
			return &DuplicateURIError{URI: addressForKey(e.c, i), ContactID: id, ContactName: other.DisplayName()}
		}
	}
	return nil
}

// addressForKey returns the address of c that produced keys()[i]. tidy
// removed same-key repeats, so the order matches.
func addressForKey(c Contact, i int) string {
	all := c.Addresses()
	if i < len(all) {
		return all[i]
	}
	return c.URI
}

func (b *Book) index(e *entry) {
	e.search = newSearchFields(e.c)
	b.byID[e.c.ID] = e
	for _, k := range e.keys {
		b.byKey[k] = e.c.ID
	}
	for _, p := range e.phones {
		if !slices.Contains(b.byPhone[p], e.c.ID) {
			b.byPhone[p] = append(b.byPhone[p], e.c.ID)
		}
	}
}

func (b *Book) unindex(e *entry) {
	delete(b.byID, e.c.ID)
	for _, k := range e.keys {
		if b.byKey[k] == e.c.ID {
			delete(b.byKey, k)
		}
	}
	for _, p := range e.phones {
		ids := slices.DeleteFunc(slices.Clone(b.byPhone[p]), func(id string) bool { return id == e.c.ID })
		if len(ids) == 0 {
			delete(b.byPhone, p)
		} else {
			b.byPhone[p] = ids
		}
	}
}

// Import adds contacts (for example from ImportVCard), skipping those that
// fail Add. It returns the contacts added and one error per skipped
// contact, in input order.
func (b *Book) Import(cs []Contact) (added []Contact, errs []error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range cs {
		c.ID = ""
		got, err := b.addLocked(c, nil)
		if err != nil {
			errs = append(errs, &ImportError{Name: c.DisplayName(), Err: err})
			continue
		}
		added = append(added, got)
	}
	return added, errs
}

// ImportError names the contact that Book.Import skipped.
type ImportError struct {
	Name string
	Err  error
}

func (e *ImportError) Error() string { return "import " + e.Name + ": " + e.Err.Error() }
func (e *ImportError) Unwrap() error { return e.Err }

func cloneExtra(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
