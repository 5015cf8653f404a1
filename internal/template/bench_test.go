package template

import (
	"testing"

	"github.com/parmap/parmap/internal/records"
)

// Expand runs once per job: thousands of times a second.
func BenchmarkExpand(b *testing.B) {
	r := &records.Record{Seq: 123, Values: []string{"data/run-42/sample.fastq.gz"}, Args: []string{"data/run-42/sample.fastq.gz"}}
	n := &records.Record{Seq: 123, Values: []string{"a.txt", "b c.txt", "d.txt", "e.txt"}, Args: []string{"a.txt", "b c.txt", "d.txt", "e.txt"}}
	for _, bm := range []struct {
		name  string
		words []string
		rec   *records.Record
	}{
		{"argv/echo", []string{"echo", "{}"}, r},
		{"argv/append", []string{"gzip", "-9"}, r},
		{"argv/paths", []string{"cp", "{}", "out/{/.}.{#}.bak"}, r},
		{"argv/n4", []string{"wc", "-l", "{}"}, n},
		{"shell/pipe", []string{`zcat {} | grep -c ERROR | sed "s/^/{/.}: /"`}, r},
		{"shell/nested", []string{"x=`basename {}`; echo \"$(wc -c < {}) ${x:-{.}}\""}, r},
		{"shell/quote", []string{`echo {} | cat`}, &records.Record{Seq: 1, Args: []string{"it's a $(test)"}}},
		{"record", nil, &records.Record{Seq: 1, Args: []string{"gzip -9 data/x.txt"}}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			tm, err := Parse(bm.words, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tm.Expand(bm.rec, 3); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkText(b *testing.B) {
	r := &records.Record{Seq: 123, Values: []string{"a", "b"}, Args: []string{"a", "b"}}
	tx, _ := ParseText("{1}:{2} #{#}", Options{})
	b.ReportAllocs()
	for b.Loop() {
		tx.Expand(r, 1)
	}
}
