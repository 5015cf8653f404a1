package size

import "testing"

func TestParse(t *testing.T) {
	for s, want := range map[string]int64{
		"1": 1, "512": 512, "1K": 1024, "4M": 4 << 20, "2G": 2 << 30, "1T": 1 << 40,
		"1.5K": 1536, "1k": 1000, "2m": 2e6, "1g": 1e9, "0.5M": 512 << 10,
	} {
		if got, err := Parse(s); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "0K", "abc", "-1", "-1M", "1X", "K", "0.1", "2P", "1e300"} {
		if got, err := Parse(s); err != ErrBad {
			t.Errorf("Parse(%q) = %d, %v; want ErrBad", s, got, err)
		}
	}
}
