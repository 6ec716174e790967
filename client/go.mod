module github.com/keycard/keycard/client

go 1.26.8
