package pubcache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tinywindow/tinywindow/internal/pubcache"
)

func Example() {
	type publicKey struct{ der []byte }
	var c pubcache.Cache[publicKey]
	c.Init(&publicKey{der: []byte("fetched at open")}, time.Hour)

	// Within the hour, Get answers from the cache without calling fetch.
	pub, err := c.Get(context.Background(), func(context.Context) (*publicKey, error) {
		return &publicKey{der: []byte("fetched again")}, nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(pub.der))
	// Output: fetched at open
}
