//go:build !cgo || windows

package usb

import (
	"errors"
	"testing"

	"github.com/labelagent/labelagent/printer"
)

func TestNotInBuild(t *testing.T) {
	_, err := New(printer.Config{Name: "z", Transport: "usb"}, nil)
	if !errors.Is(err, ErrNotInBuild) {
		t.Fatalf("%v", err)
	}
}
