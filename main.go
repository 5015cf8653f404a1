// Command parmap runs a command once per input record, many at a time.
package main

import (
	"os"

	"github.com/parmap/parmap/cmd"
)

func main() { os.Exit(cmd.Main()) }
