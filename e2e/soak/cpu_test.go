package soak

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuUse is CPU time (user + system) spent by the parts of a local run: this process (the runtime —
// gateway, edge, bus, state machines, Lambda host — and the soak's clients), the emulator, and the
// function processes. It answers "where does the time go" without a profiler: the soak prints the
// shares, and `go test -cpuprofile` breaks this process's share down further.
type cpuUse struct {
	runtime, emulator, functions time.Duration
}

func (c cpuUse) sub(o cpuUse) cpuUse {
	return cpuUse{runtime: c.runtime - o.runtime, emulator: c.emulator - o.emulator, functions: c.functions - o.functions}
}

func (c cpuUse) total() time.Duration { return c.runtime + c.emulator + c.functions }

// clockTick is Linux's USER_HZ, the unit of /proc/<pid>/stat times; 100 on every Linux ABI Go runs on.
const clockTick = 10 * time.Millisecond

// sampleCPU reads the CPU used so far. The emulator is every process in its group; the functions are
// the children of this process outside that group, live (from /proc) or already reaped (a crashed or
// timed-out instance: RUSAGE_CHILDREN). Outside Linux it reports only this process.
func sampleCPU(emulatorGroup int) cpuUse {
	var c cpuUse
	var self, reaped syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
		c.runtime = rusageTime(self)
	}
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &reaped) == nil {
		c.functions = rusageTime(reaped)
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	me := os.Getpid()
	for _, p := range stats {
		st, ok := readStat(p)
		switch {
		case !ok:
		case emulatorGroup != 0 && st.pgrp == emulatorGroup:
			c.emulator += st.cpu
		case st.ppid == me:
			c.functions += st.cpu
		}
	}
	return c
}

func rusageTime(r syscall.Rusage) time.Duration {
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

type procStat struct {
	ppid, pgrp int
	cpu        time.Duration // utime + stime + cutime + cstime
}

// readStat parses /proc/<pid>/stat: the command name in parentheses may hold spaces, so the fields are
// counted after its closing parenthesis (state is field 3; ppid 4, pgrp 5, utime 14 … cstime 17).
func readStat(path string) (procStat, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return procStat{}, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return procStat{}, false
	}
	num := func(k int) int { n, _ := strconv.Atoi(f[k-3]); return n }
	return procStat{ppid: num(4), pgrp: num(5), cpu: time.Duration(num(14)+num(15)+num(16)+num(17)) * clockTick}, true
}
