package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pollEvery is how often the sink's counter is read: a pread of its last
// bytes, cheap enough not to disturb the machine under test.
const pollEvery = 2 * time.Millisecond

// runRun times one benchmark cell: it notes the sink's count, starts
// smtp-source (the arguments after --), and waits until the sink has
// counted -count more messages. It prints one line:
//
//	ELAPSED SOURCE DELIVERED MACHINE_CPU RELAY_CPU SOURCE_CPU SINK_CPU
//
// ELAPSED is seconds from starting smtp-source to the sink counting the
// last message, SOURCE seconds until smtp-source exited (every message
// accepted by the relay), DELIVERED the messages the sink counted,
// MACHINE_CPU busy CPU seconds of the whole machine (all cores, user +
// system, every process) during ELAPSED, RELAY_CPU the CPU seconds the
// relay used: process -pid, or every process whose environment holds
// -env (a Postfix instance: MAIL_CONFIG=DIR), with the children they
// reaped; SOURCE_CPU that of smtp-source, SINK_CPU that of process
// -sink-pid. What the machine spent beyond the three is other load.
func runRun(args []string, stdout io.Writer) error {
	fs := newFlags("run")
	sinkOut := fs.String("sink-out", "", "file receiving smtp-sink -c's counters")
	count := fs.Int("count", 0, "messages the sink must count")
	pid := fs.Int("pid", 0, "the relay's process, for RELAY_CPU")
	env := fs.String("env", "", "or: NAME=VALUE in the environment of the relay's processes, for RELAY_CPU")
	sinkPID := fs.Int("sink-pid", 0, "smtp-sink's process, for SINK_CPU")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	src := fs.Args()
	if *sinkOut == "" || *count <= 0 || len(src) == 0 {
		return fmt.Errorf("need -sink-out, -count and a command after --")
	}
	sink, err := os.Open(*sinkOut)
	if err != nil {
		return err
	}
	defer sink.Close()
	var c counter
	base, err := c.read(sink)
	if err != nil {
		return err
	}
	want := base + *count

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cpu0, err := machineCPU()
	if err != nil {
		return err
	}
	pcpu0, err := relayCPU(*pid, *env)
	if err != nil {
		return err
	}
	scpu0, err := relayCPU(*sinkPID, "")
	if err != nil {
		return err
	}
	var srcOut bytes.Buffer
	cmd := exec.Command(src[0], src[1:]...)
	cmd.Stdout, cmd.Stderr = &srcOut, &srcOut
	// smtp-source dies with us, however we end.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	var srcDone time.Duration
	go func() { exited <- cmd.Wait() }()
	kill := func() {
		cmd.Process.Kill()
		<-exited
	}

	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	deadline := time.After(*timeout)
	var srcErr error
	srcRunning := true
	n := base
	for n < want {
		select {
		case <-tick.C:
			if n, err = c.read(sink); err != nil {
				kill()
				return err
			}
		case err := <-exited:
			srcRunning, srcDone, srcErr = false, time.Since(t0), err
			if err != nil {
				// A refused or failed message never reaches the sink:
				// waiting longer would only time out.
				return fmt.Errorf("smtp-source failed after %v (%d of %d counted): %v\n%s",
					srcDone.Round(time.Millisecond), n-base, *count, err, tail(srcOut.Bytes()))
			}
		case <-deadline:
			if srcRunning {
				kill()
			}
			return fmt.Errorf("timeout after %v: the sink counted %d of %d (smtp-source running: %v)\n%s",
				*timeout, n-base, *count, srcRunning, tail(srcOut.Bytes()))
		case <-ctx.Done():
			if srcRunning {
				kill()
			}
			return errors.New("interrupted")
		}
	}
	elapsed := time.Since(t0)
	cpu1, err := machineCPU()
	if err != nil {
		return err
	}
	pcpu1, err := relayCPU(*pid, *env)
	if err != nil {
		return err
	}
	scpu1, err := relayCPU(*sinkPID, "")
	if err != nil {
		return err
	}
	if srcRunning {
		// Every message was delivered, so smtp-source has its last 250
		// and is saying QUIT.
		select {
		case srcErr = <-exited:
			srcDone = time.Since(t0)
		case <-time.After(30 * time.Second):
			kill()
			return fmt.Errorf("smtp-source did not exit after the last message was delivered")
		}
	}
	if srcErr != nil {
		return fmt.Errorf("smtp-source: %v\n%s", srcErr, tail(srcOut.Bytes()))
	}
	st := cmd.ProcessState
	srcCPU := (st.UserTime() + st.SystemTime()).Seconds()
	fmt.Fprintf(stdout, "%.3f %.3f %d %.2f %.2f %.2f %.2f\n", elapsed.Seconds(), srcDone.Seconds(), n-base,
		cpu1-cpu0, pcpu1-pcpu0, srcCPU, scpu1-scpu0)
	return nil
}

func tail(b []byte) string {
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// counter reads smtp-sink -c's running counters ("\rsess=N quit=N
// mesg=N", appended to a file). The last record may be caught half
// written ("mesg=12" of "mesg=123"): such a prefix is never more than
// the true count, so the largest value seen is a lower bound that
// catches up at the next poll.
type counter struct {
	best int
	buf  [512]byte
}

func (c *counter) read(f *os.File) (int, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	off := max(st.Size()-int64(len(c.buf)), 0)
	n, err := f.ReadAt(c.buf[:], off)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	b := c.buf[:n]
	if i := bytes.LastIndex(b, []byte("mesg=")); i >= 0 {
		j := i + len("mesg=")
		k := j
		for k < len(b) && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		if v, err := strconv.Atoi(string(b[j:k])); err == nil && v > c.best {
			c.best = v
		}
	}
	return c.best, nil
}

// userHZ is the unit of /proc's CPU times (USER_HZ, 100 on Linux).
const userHZ = 100

// machineCPU returns the busy CPU seconds of all cores since boot (user,
// nice, system, irq, softirq, steal; not idle or iowait).
func machineCPU() (float64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected %q", line)
	}
	var busy float64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %q", line)
		}
		busy += x
	}
	return busy / userHZ, nil
}

// relayCPU returns the CPU seconds of process pid, or (pid 0) the sum
// over every process whose environment holds env; 0 when both are unset.
// Each process counts its own user + system time and that of the
// children it has reaped, so a Postfix daemon that exits during the
// cell still counts, in its master.
func relayCPU(pid int, env string) (float64, error) {
	switch {
	case pid != 0:
		return procCPU(pid)
	case env == "":
		return 0, nil
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	want := []byte(env)
	var sum float64
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p))
		if err != nil || !slices.ContainsFunc(bytes.Split(b, []byte{0}), func(v []byte) bool { return bytes.Equal(v, want) }) {
			continue // gone, or not ours
		}
		if c, err := procCPU(p); err == nil {
			sum += c
		}
	}
	return sum, nil
}

// procCPU returns the user + system CPU seconds of a process and of its
// reaped children.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields start after its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	// Fields 14 to 17 of proc(5): utime, stime, cutime, cstime.
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	var sum float64
	for _, v := range f[11:15] {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
		}
		sum += x
	}
	return sum / userHZ, nil
}
