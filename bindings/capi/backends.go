package main

// The backends linked into the library. Importing a backend registers its URI
// scheme; tw_providers_json lists what is registered.
import (
	_ "github.com/tinywindow/tinywindow/providers/hmac"
)
