package dialog

import (
	"reflect"
	"strconv"
	"testing"
)

// TestManagerForgetsBurst: once the last dialog of a burst is gone the
// manager starts a fresh map (a Go map never gives back its buckets).
func TestManagerForgetsBurst(t *testing.T) {
	m := &Manager{dialogs: map[ID]*Dialog{}}
	var ds []*Dialog
	for i := range 2000 {
		d := &Dialog{id: ID{CallID: strconv.Itoa(i), LocalTag: "a", RemoteTag: "b"}}
		if _, ok := m.add(d); !ok {
			t.Fatalf("add %d refused", i)
		}
		ds = append(ds, d)
	}
	burst := reflect.ValueOf(m.dialogs).UnsafePointer()
	for i, d := range ds {
		m.remove(d)
		if i < len(ds)-1 && reflect.ValueOf(m.dialogs).UnsafePointer() != burst {
			t.Fatalf("map replaced after %d of %d removals", i+1, len(ds))
		}
	}
	if len(m.dialogs) != 0 || reflect.ValueOf(m.dialogs).UnsafePointer() == burst {
		t.Fatalf("after the burst: %d dialogs, same map %v", len(m.dialogs), reflect.ValueOf(m.dialogs).UnsafePointer() == burst)
	}
}
