package devices

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// CPUs returns the CPUs this process may run on (its affinity mask, as
// sched_getaffinity tells it of the calling thread, which is the process's
// unless parmap changed it), in ascending order.
func CPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, err
	}
	return cpuList(&set), nil
}

// cpuList lists the CPUs in set, in ascending order.
func cpuList(set *unix.CPUSet) []int {
	var cpus []int
	for c, n := 0, set.Count(); len(cpus) < n && c < 8*int(unsafe.Sizeof(*set)); c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus
}
