package app_test

import (
	"testing"
	"testing/fstest"

	"pluginserver/internal/app"
)

func TestMemoryAvailable(t *testing.T) {
	const gib = 1 << 30
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	meminfo := file("MemTotal:       25165824 kB\nMemFree:        1000 kB\n") // 24 GiB
	for _, tt := range []struct {
		name  string
		files fstest.MapFS
		want  int64
	}{
		{"nothing readable", fstest.MapFS{}, 0},
		{"the machine alone", fstest.MapFS{"proc/meminfo": meminfo}, 24 * gib},
		{"cgroup v2, unlimited", fstest.MapFS{"proc/meminfo": meminfo, "proc/self/cgroup": file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("max\n")}, 24 * gib},
		{"cgroup v2, a container's limit", fstest.MapFS{"proc/meminfo": meminfo, "proc/self/cgroup": file("0::/docker/abc\n"),
			"sys/fs/cgroup/docker/abc/memory.max": file("536870912\n")}, 512 << 20},
		{"cgroup v2, the limit on a parent", fstest.MapFS{"proc/meminfo": meminfo, "proc/self/cgroup": file("0::/kubepods/pod1/ctr\n"),
			"sys/fs/cgroup/kubepods/pod1/ctr/memory.max": file("max\n"), "sys/fs/cgroup/kubepods/pod1/memory.max": file("1073741824\n")}, gib},
		{"cgroup v2 seen from inside the container", fstest.MapFS{"proc/self/cgroup": file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("268435456\n")}, 256 << 20},
		{"cgroup v1, unlimited", fstest.MapFS{"proc/meminfo": meminfo, "proc/self/cgroup": file("4:memory:/process_api/x\n3:cpuset:/\n"),
			"sys/fs/cgroup/memory/process_api/x/memory.limit_in_bytes": file("9223372036854771712\n")}, 24 * gib},
		{"cgroup v1, limited", fstest.MapFS{"proc/meminfo": meminfo, "proc/self/cgroup": file("7:cpu,memory:/job\n"),
			"sys/fs/cgroup/memory/job/memory.limit_in_bytes": file("2147483648\n")}, 2 * gib},
	} {
		if got := app.MemoryAvailable(tt.files); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}
