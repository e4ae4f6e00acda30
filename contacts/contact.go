package contacts

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors callers branch on.
var (
	// ErrNotFound: no contact has the given ID.
	ErrNotFound = errors.New("contact not found")
	// ErrDuplicateURI is wrapped by *DuplicateURIError.
	ErrDuplicateURI = errors.New("duplicate uri")
	// ErrNoURI: a contact needs a primary URI.
	ErrNoURI = errors.New("contact has no uri")
)

// Contact is one address book entry. It is plain data: the Book hands out
// copies, so changing a Contact changes nothing until it is passed to
// [Book.Update].
type Contact struct {
	// ID is stable and unique within a Book; Add assigns one when empty.
	ID string
	// Name is the display name; may be empty (the URI is shown instead).
	Name string
	// URI is the primary address, in any form ValidateURI accepts. It is
	// stored as written; comparisons use NormalizeURI.
	URI string
	// Numbers are optional extra addresses (tel: or sip: URIs, or bare
	// numbers), also matched by Lookup and Search.
	Numbers []string
	// Favorite contacts form the buddy list: the UA subscribes to their
	// presence (see Book.Favorites).
	Favorite bool
	Tags     []string
	Note     string
}

// DisplayName is Name, or the URI when the contact has no name.
func (c Contact) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	return c.URI
}

// Addresses returns the primary URI followed by the extra numbers.
func (c Contact) Addresses() []string {
	return append([]string{c.URI}, c.Numbers...)
}

// DuplicateURIError says that an address of a contact being added or
// updated already belongs to another contact.
type DuplicateURIError struct {
	URI         string // the address as written in the new contact
	ContactID   string // the contact that already has it
	ContactName string
}

func (e *DuplicateURIError) Error() string {
	return fmt.Sprintf("duplicate uri: %s already belongs to %q", e.URI, e.ContactName)
}

// Is makes errors.Is(err, ErrDuplicateURI) true.
func (e *DuplicateURIError) Is(target error) bool { return target == ErrDuplicateURI }

func (c Contact) clone() Contact {
	c.Numbers = slices.Clone(c.Numbers)
	c.Tags = slices.Clone(c.Tags)
	return c
}

// tidy trims fields, drops empty entries and case-insensitively repeated
// tags, and validates every address.
func (c Contact) tidy() (Contact, error) {
	c.ID = strings.TrimSpace(c.ID)
	c.Name = strings.TrimSpace(c.Name)
	c.URI = strings.TrimSpace(c.URI)
	c.Note = strings.TrimRight(c.Note, " \t\r\n")
	if c.URI == "" {
		return c, ErrNoURI
	}
	a, err := parseAddr(c.URI)
	if err != nil {
		return c, err
	}
	seen := []string{a.key}
	var nums []string
	for _, n := range c.Numbers {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		a, err := parseAddr(n)
		if err != nil {
			return c, err
		}
		if slices.Contains(seen, a.key) {
			continue // the same address twice in one contact is not a conflict
		}
		seen = append(seen, a.key)
		nums = append(nums, n)
	}
	c.Numbers = nums
	var tags []string
	for _, t := range c.Tags {
		t = strings.TrimSpace(t)
		if t == "" || slices.ContainsFunc(tags, func(o string) bool { return strings.EqualFold(o, t) }) {
			continue
		}
		tags = append(tags, t)
	}
	c.Tags = tags
	return c, nil
}

// keys returns the distinct normalized keys and phone keys of c's
// addresses. c must have passed tidy.
func (c Contact) keys() (keys, phones []string) {
	for _, s := range c.Addresses() {
		a, err := parseAddr(s)
		if err != nil {
			continue
		}
		if !slices.Contains(keys, a.key) {
			keys = append(keys, a.key)
		}
		if a.phone != "" && !slices.Contains(phones, a.phone) {
			phones = append(phones, a.phone)
		}
	}
	return keys, phones
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}
