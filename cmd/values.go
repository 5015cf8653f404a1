package cmd

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/size"
	"github.com/parmap/parmap/internal/slurm"
	"github.com/parmap/parmap/reuse"
)

// value is an option's value of type T, parsed by the cli parser as it
// meets the option: every option has one parser, and the rest of cmd reads
// typed values. A bad value is kept rather than returned, since the flag
// package would bury parmap's message inside its own; the configuration
// reports it, in parmap's words, when it reads the option.
type value[T any] struct {
	v     T
	text  string
	set   bool
	err   error
	parse func(string) (T, error)
}

func (v *value[T]) Set(s string) error {
	v.text, v.set = s, true
	v.v, v.err = v.parse(s)
	return nil
}

func (v *value[T]) String() string { return v.text }

// typed returns a flag whose value parse reads; shown, when not "", is the
// default the help shows, and def the value until the option is given.
func typed[T any](f cli.GenericFlag, parse func(string) (T, error), def T, shown string) *cli.GenericFlag {
	f.Value = &value[T]{v: def, text: shown, parse: parse}
	return &f
}

// get returns option name's value, whether it was given, and why its text
// was bad.
func get[T any](c *cli.Context, name string) (v T, set bool, err error) {
	val := c.Generic(name).(*value[T])
	return val.v, val.set, val.err
}

// count reads a whole number of at least least; what it counts words the
// error ("records per job, 1 or more").
func count(flag string, least int, what string) func(string) (int, error) {
	return func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < least {
			return 0, usagef("%s %q: give %s", flag, s, what)
		}
		return n, nil
	}
}

// duration reads a Go duration (1.5s, 300ms, 2m) or a plain number of
// seconds.
func duration(flag string) func(string) (time.Duration, error) {
	return func(s string) (time.Duration, error) { return parseDuration(flag, s) }
}

func parseDuration(flag, s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, usagef("%s %q: give a duration like 30s, 1.5m or 500ms, or a number of seconds", flag, s)
	}
	return d, nil
}

// jobsSpec is -j as given: a number of jobs, a share of the CPUs, or a
// number more or fewer than the CPUs.
type jobsSpec struct {
	text     string
	n        int
	percent  float64 // > 0 for N%
	relative bool    // +N or -N: n added to the CPUs
}

// parseJobs reads -j: N, N% of the usable CPUs, +N or -N (the CPUs plus or
// minus N, as GNU parallel), or 0 for no limit. A number too large for an
// int is the largest int: it is a bound, and config's jobs step clamps it
// to what the system can run.
func parseJobs(s string) (jobsSpec, error) {
	bad := usagef("-j %q: give a number of jobs (4), a share of the CPUs (50%%), a number more or fewer than the CPUs (+1, -1), or 0 for no limit", s)
	if s != "" && (s[0] == '+' || s[0] == '-') {
		n, err := strconv.Atoi(s[1:])
		if err != nil || n < 0 || s[1] == '+' || s[1] == '-' {
			return jobsSpec{}, bad
		}
		if s[0] == '-' {
			n = -n
		}
		return jobsSpec{text: s, n: n, relative: true}, nil
	}
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		n, err := strconv.ParseFloat(pct, 64)
		if err != nil || !(n > 0) || math.IsInf(n, 0) {
			return jobsSpec{}, bad
		}
		return jobsSpec{text: s, percent: n}, nil
	}
	n, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-") {
		n, err = math.MaxInt, nil
	}
	if err != nil || n < 0 {
		return jobsSpec{}, bad
	}
	return jobsSpec{text: s, n: n}, nil
}

// of is the number of jobs for cpus usable CPUs.
func (j jobsSpec) of(cpus int) int {
	if j.relative {
		if j.n > math.MaxInt-cpus {
			return math.MaxInt
		}
		return max(1, cpus+j.n)
	}
	if j.percent > 0 {
		n := float64(cpus) * j.percent / 100
		if n >= math.MaxInt {
			return math.MaxInt
		}
		return max(1, int(n))
	}
	return j.n
}

// parseSuccessCodes reads --success-codes: exit values separated by commas.
func parseSuccessCodes(s string) (map[int]bool, error) {
	codes := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || n > 255 {
			return nil, usagef("--success-codes %q: give exit values from 0 to 255 separated by commas, e.g. 0,1", s)
		}
		codes[n] = true
	}
	return codes, nil
}

// haltNumbers are the policies GNU parallel's older --halt numbers stand
// for (--halt-on-error 1).
var haltNumbers = map[string]string{
	"0": "never", "1": "soon,fail=1", "2": "now,fail=1",
	"-1": "soon,success=1", "-2": "now,success=1",
}

// parseHalt reads --halt (and GNU's --halt-on-error): a policy, one of
// GNU's older numbers, or N% for soon,fail=N%.
func parseHalt(s string) (exchange.Halt, error) {
	policy := s
	if p, ok := haltNumbers[s]; ok {
		policy = p
	} else if pct, ok := strings.CutSuffix(s, "%"); ok && pct != "" && strings.Trim(pct, "0123456789") == "" {
		policy = "soon,fail=" + s
	}
	h, err := exchange.ParseHalt(policy)
	if err != nil {
		return h, usagef("--halt %q: give never, or now|soon,fail|success|done=N (N a count or a percentage like 10%%)", s)
	}
	return h, nil
}

// parseDelim reads -d.
func parseDelim(s string) (byte, error) {
	d, err := records.ParseDelim(s)
	if err != nil {
		return 0, usagef("%s", wordError(err))
	}
	return d, nil
}

// parseColsep reads --colsep: a regular expression matching at least one
// character.
func parseColsep(s string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, usagef("--colsep %q is not a valid regular expression: %v", s, unwrapRegexp(err))
	}
	if re.MatchString("") {
		return nil, usagef("--colsep %q matches the empty string; give a separator that matches at least one character", s)
	}
	return re, nil
}

// unwrapRegexp says what is wrong with a regular expression without the
// package's "error parsing regexp" preamble.
func unwrapRegexp(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("%s: `%s`", se.Code, se.Expr)
	}
	return err.Error()
}

// header is --header as given: ":" (the first record names the fields) or,
// in pipe mode, a number of lines.
type header struct {
	text  string
	names bool
	lines int // -1 when not a number of lines
}

func parseHeader(s string) (header, error) {
	if s == ":" {
		return header{text: s, names: true}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		n = -1
	}
	return header{text: s, lines: n}, nil
}

// parseSize reads a byte count with an optional unit: K, M, G, T for powers
// of 1024 and k, m, g, t for powers of 1000, as GNU parallel's --block.
func parseSize(s string) (int64, error) {
	n, err := size.Parse(s)
	if err != nil {
		return 0, usagef("--block %q: give a size in bytes, 1 or more, with an optional K, M or G (powers of 1024; k, m, g for powers of 1000), e.g. --block 10M", s)
	}
	return n, nil
}

// parseProtocol reads --reuse-protocol.
func parseProtocol(s string) (reuse.Protocol, error) {
	p, err := reuse.ParseProtocol(s)
	if err != nil {
		return p, usagef("%s", wordError(err))
	}
	return p, nil
}

// shard is --shard K/N.
type shard struct{ k, n int }

func parseShard(s string) (shard, error) {
	k, n, err := slurm.ParseShard(s)
	if err != nil {
		return shard{}, usagef("%s", wordError(err))
	}
	return shard{k, n}, nil
}
