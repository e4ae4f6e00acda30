package sdp_test

import (
	"fmt"
	"net/netip"

	"github.com/teaphone/teaphone/media/sdp"
)

// A call: Alice offers, Bob answers, then Alice puts Bob on hold.
func Example() {
	alice, _ := sdp.NewNegotiator(sdp.Config{
		Addr: netip.MustParseAddr("192.0.2.1"), Port: 4000, SessionID: 1,
		Codecs: []sdp.Format{sdp.Opus(0, "useinbandfec=1"), sdp.PCMU()},
	})
	bob, _ := sdp.NewNegotiator(sdp.Config{
		Addr: netip.MustParseAddr("192.0.2.2"), Port: 5000, SessionID: 2,
		Codecs: []sdp.Format{sdp.PCMA(), sdp.PCMU()},
	})

	offer, _ := alice.Offer()
	answer, bobMedia, err := bob.Answer(offer)
	if err != nil {
		fmt.Println("488:", err)
		return
	}
	aliceMedia, _ := alice.ProcessAnswer(answer)
	fmt.Println("alice sends", aliceMedia.Codec, "to", aliceMedia.RemoteAddr, "dtmf PT", aliceMedia.DTMF.PT)
	fmt.Println("bob sends", bobMedia.Codec, "to", bobMedia.RemoteAddr, bobMedia.Direction)

	alice.SetDirection(sdp.SendOnly) // hold
	offer, _ = alice.Offer()
	answer, bobMedia, _ = bob.Answer(offer)
	aliceMedia, _ = alice.ProcessAnswer(answer)
	fmt.Println("on hold: alice", aliceMedia.Direction, "bob", bobMedia.Direction, "bob held:", bobMedia.RemoteHold)
	// Output:
	// alice sends 0 PCMU/8000 to 192.0.2.2:5000 dtmf PT 101
	// bob sends 0 PCMU/8000 to 192.0.2.1:4000 sendrecv
	// on hold: alice sendonly bob recvonly bob held: true
}
