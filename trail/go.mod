module github.com/tinywindow/tinywindow/trail

go 1.26.0

require (
	github.com/tinywindow/tinywindow v0.1.0
	github.com/transparency-dev/tessera v1.0.4
	golang.org/x/mod v0.43.0
)
