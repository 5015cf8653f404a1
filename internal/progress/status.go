package progress

import (
	"fmt"
	"time"
)

// status is what the display shows at one moment.
type status struct {
	done, total, failed, interrupted int64
	// known: total is the real total (counted, or the input has ended);
	// otherwise it is the records read so far, a lower bound.
	known     bool
	inputDone bool
	elapsed   time.Duration
}

// rate is the jobs finished per second so far.
func (s status) rate() float64 {
	if sec := s.elapsed.Seconds(); sec > 0 {
		return float64(s.done) / sec
	}
	return 0
}

// eta is the time left at the rate so far; ok is false when it cannot be
// known (the total is not, or no job has finished).
func (s status) eta() (left time.Duration, ok bool) {
	if !s.known {
		return 0, false
	}
	n := s.total - s.done
	if n <= 0 {
		return 0, true
	}
	rate := s.rate()
	if rate <= 0 {
		return 0, false
	}
	return time.Duration(float64(n) / rate * float64(time.Second)), true
}

// stopped is ", N interrupted" when jobs were interrupted, else "".
func (s status) stopped() string {
	if s.interrupted == 0 {
		return ""
	}
	return fmt.Sprintf(", %d interrupted", s.interrupted)
}

// line formats s as one plain status line, like
//
//	parmap: 120/500 done (24%), 3 failed, 41.2 jobs/s, elapsed 2.9s, ETA 9s
//
// While the total is not known, it is the records read so far, marked with
// a +, and there is no percentage and no ETA (ETA ?):
//
//	parmap: 120/130+ done, 3 failed, 41.2 jobs/s, elapsed 2.9s, ETA ?
func (s status) line() string {
	more, percent := "+", ""
	if s.known {
		more = ""
		if s.total > 0 {
			percent = fmt.Sprintf(" (%d%%)", s.done*100/s.total)
		}
	}
	eta := "?"
	if left, ok := s.eta(); ok {
		eta = roundDuration(left)
	}
	return fmt.Sprintf("parmap: %d/%d%s done%s, %d failed%s, %.1f jobs/s, elapsed %s, ETA %s\n",
		s.done, s.total, more, percent, s.failed, s.stopped(), s.rate(), roundDuration(s.elapsed), eta)
}

// roundDuration shows d to a tenth of a second under a minute and to the
// second above: 2.9s, 1m5s.
func roundDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// gnuLine formats s as GNU parallel's --progress status,
//
//	local:2/10/100%/0.1s
//
// (jobs running, jobs completed, share of started jobs, average seconds per
// job), led with --eta by "ETA: 5s Left: 10 AVG: 0.10s  ".
func (s status) gnuLine(jobs int, eta bool) string {
	running := s.total - s.done
	if jobs > 0 {
		running = min(running, int64(jobs))
	}
	avg := 0.0
	if s.done > 0 {
		avg = s.elapsed.Seconds() / float64(s.done)
	}
	line := fmt.Sprintf("local:%d/%d/100%%/%.1fs ", running, s.done, avg)
	if !eta {
		return line
	}
	left := s.total - s.done
	return fmt.Sprintf("ETA: %.0fs Left: %d AVG: %.2fs  %s", float64(left)*avg, left, avg, line)
}
