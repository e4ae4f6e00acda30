package contacts

import (
	"fmt"
	"testing"
)

func benchBook(b *testing.B, n int) *Book {
	b.Helper()
	bk := NewBook()
	for i := range n {
		if _, err := bk.Add(Contact{Name: fmt.Sprintf("Person %d Surname%d", i, i%37),
			URI: fmt.Sprintf("sip:user%d@example.com", i), Numbers: []string{fmt.Sprintf("+49 30 %08d", i)}}); err != nil {
			b.Fatal(err)
		}
	}
	return bk
}

func BenchmarkLookup2000(b *testing.B) {
	bk := benchBook(b, 2000)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := bk.Lookup(`"X" <sip:+493000001234@trunk.example;user=phone>;tag=1`); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkSearch2000(b *testing.B) {
	bk := benchBook(b, 2000)
	b.ReportAllocs()
	for b.Loop() {
		if len(bk.Search("surname12")) == 0 {
			b.Fatal("no result")
		}
	}
}
