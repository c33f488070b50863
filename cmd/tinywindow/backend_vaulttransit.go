package main

import _ "github.com/tinywindow/tinywindow/providers/vaulttransit"
