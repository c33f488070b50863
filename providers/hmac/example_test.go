package hmac_test

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// The MVP's deterministic key for a seed.
func ExampleKeygen() {
	key := hmac.Keygen(42)
	fmt.Println(hex.EncodeToString(key[:]))
	// Output: 7848b5d711bc9883996317a3f9c90269d56771005d540a19184939c9e8d0db2a
}

// Opening a key by URI, signing and verifying.
func Example() {
	ctx := context.Background()
	key, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		panic(err)
	}
	defer key.Close()
	tag, _ := key.Sign(ctx, []byte("hello deterministic world"))
	fmt.Println(hex.EncodeToString(tag))
	fmt.Println(key.Verify(ctx, []byte("hello deterministic world"), tag))
	// Output:
	// 1666c07b7d59d0acf5ee5097dd8958ffcdcdbcd336d4205e47ee8a23344db8ff
	// <nil>
}
