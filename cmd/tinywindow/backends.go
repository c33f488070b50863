package main

// The backends linked into the command. Importing a backend registers its
// URI scheme.
import (
	_ "github.com/tinywindow/tinywindow/providers/hmac"
)
