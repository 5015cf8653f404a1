package engine_test

import (
	"context"
	"fmt"
	"os"

	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/template"
)

// A whole run without the command line: three records, two jobs at a time,
// the outputs in input order.
func ExampleRun() {
	tmpl, err := template.Parse([]string{"echo", "hello", "{}"}, template.Options{})
	if err != nil {
		panic(err)
	}
	cfg := &engine.Config{
		Sources:   []records.Source{records.List([]string{"a", "b", "c"})},
		Records:   records.DefaultOptions(),
		Template:  tmpl,
		Env:       os.Environ(),
		Jobs:      2,
		KeepOrder: true,
	}
	sum := engine.Run(context.Background(), cfg, engine.Streams{Stdout: os.Stdout, Stderr: os.Stderr})
	fmt.Printf("%d done, %d failed\n", sum.Done, sum.Failed)
	// Output:
	// hello a
	// hello b
	// hello c
	// 3 done, 0 failed
}
