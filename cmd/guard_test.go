package cmd

import (
	"os"
	"testing"

	"github.com/parmap/parmap/internal/guard"
)

// The tests that call run start guards: re-executions of this test binary,
// which must then be the guard.
func TestMain(m *testing.M) {
	if guard.Invoked() {
		os.Exit(guard.Main())
	}
	os.Exit(m.Run())
}
