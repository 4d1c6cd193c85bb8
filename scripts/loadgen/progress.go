package loadgen

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Progress display intervals: a terminal line is redrawn often, plain lines
// (logs, pipes) come at most once a second.
const (
	terminalRedrawInterval = 200 * time.Millisecond
	plainLineInterval      = time.Second
	barWidth               = 30
)

// progress draws a run's progress. It is driven with explicit times, so
// what it prints is tested without a clock; the Loader calls update from a
// ticker and finish once at the end.
type progress struct {
	out      io.Writer
	terminal bool
	mode     string
	planned  int
	duration time.Duration
	started  time.Time

	lastAt    time.Time
	lastDone  int
	lastWidth int // of the last terminal line, to blank what is left of it
}

func newProgress(out io.Writer, cfg Config, started time.Time) *progress {
	return &progress{
		out:      out,
		terminal: isTerminal(out),
		mode:     cfg.mode(),
		planned:  cfg.planned(),
		duration: cfg.Duration,
		started:  started,
		lastAt:   started,
	}
}

// interval is how often update draws.
func (p *progress) interval() time.Duration {
	if p.terminal {
		return terminalRedrawInterval
	}
	return plainLineInterval
}

// update draws a line if the interval has passed since the last one; the
// rate shown is that of the interval.
func (p *progress) update(now time.Time, done int) {
	since := now.Sub(p.lastAt)
	if since < p.interval() {
		return
	}
	rate := float64(done-p.lastDone) / since.Seconds()
	p.lastAt, p.lastDone = now, done
	p.draw(p.line(now, done, rate))
}

// finish draws the final line with the average rate of the whole run.
func (p *progress) finish(now time.Time, done int) {
	elapsed := now.Sub(p.started)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done) / elapsed.Seconds()
	}
	line := fmt.Sprintf("loaded %d/%d events in %v, %.0f events/s", done, p.planned, elapsed.Round(time.Millisecond), rate)
	if p.terminal {
		line = p.bar(done) + " " + line
	}
	p.draw(line)
	if p.terminal {
		_, _ = fmt.Fprintln(p.out)
	}
}

func (p *progress) line(now time.Time, done int, rate float64) string {
	if p.mode == ModeRate {
		elapsed := min(now.Sub(p.started), p.duration).Truncate(time.Second)
		text := fmt.Sprintf("loaded %d events, %v/%v (%d%%), %.0f events/s", done, elapsed, p.duration,
			percent(int64(elapsed), int64(p.duration)), rate)
		if p.terminal {
			return p.timeBar(elapsed) + " " + text
		}
		return text
	}
	if p.terminal {
		return fmt.Sprintf("%s %d/%d events, %.0f events/s", p.bar(done), done, p.planned, rate)
	}
	return fmt.Sprintf("loaded %d/%d events (%d%%), %.0f events/s", done, p.planned, percent(int64(done), int64(p.planned)), rate)
}

// draw prints a plain line, or redraws the terminal line in place.
func (p *progress) draw(line string) {
	if !p.terminal {
		_, _ = fmt.Fprintln(p.out, line)
		return
	}
	pad := max(0, p.lastWidth-len(line))
	p.lastWidth = len(line)
	_, _ = fmt.Fprint(p.out, "\r"+line+strings.Repeat(" ", pad))
}

func (p *progress) bar(done int) string {
	return drawBar(int64(done), int64(p.planned))
}

func (p *progress) timeBar(elapsed time.Duration) string {
	return drawBar(int64(elapsed), int64(p.duration))
}

func drawBar(done, total int64) string {
	filled := barWidth
	if total > 0 {
		filled = int(min(done, total) * barWidth / total)
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat("-", barWidth-filled) + "]"
}

func percent(done, total int64) int64 {
	if total <= 0 {
		return 100
	}
	return done * 100 / total
}

// isTerminal reports whether out is a character device (a terminal), with
// no module beyond os.
func isTerminal(out io.Writer) bool {
	f, ok := out.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
