package app

import (
	"bufio"
	"bytes"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// MemoryAvailable is the memory this process may use, in bytes: the
// smallest of the machine's (MemTotal) and the limits of the cgroups it
// runs in (v2 memory.max, v1 memory.limit_in_bytes, on its cgroup's path
// and every parent's, since a container's limit may sit on an ancestor);
// 0 when none can be read. root is the file system the files are read
// from (os.DirFS("/") in production).
func MemoryAvailable(root fs.FS) int64 {
	var least int64
	take := func(n int64) {
		// cgroup v1 writes "no limit" as a number near 2^63.
		if n > 0 && n < 1<<60 && (least == 0 || n < least) {
			least = n
		}
	}
	if info, err := fs.ReadFile(root, "proc/meminfo"); err == nil {
		for line := range bytes.Lines(info) {
			if rest, ok := bytes.CutPrefix(line, []byte("MemTotal:")); ok {
				kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(rest)), " kB"), 10, 64)
				take(kib << 10)
			}
		}
	}
	groups, _ := fs.ReadFile(root, "proc/self/cgroup")
	sc := bufio.NewScanner(bytes.NewReader(groups))
	for sc.Scan() {
		// hierarchy-id:controllers:path; v2 is "0::path".
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir, file string
		switch {
		case parts[0] == "0" && parts[1] == "":
			dir, file = "sys/fs/cgroup", "memory.max"
		case strings.Contains(","+parts[1]+",", ",memory,"):
			dir, file = "sys/fs/cgroup/memory", "memory.limit_in_bytes"
		default:
			continue
		}
		for p := path.Clean("/" + parts[2]); ; p = path.Dir(p) {
			if raw, err := fs.ReadFile(root, path.Join(dir, p, file)); err == nil {
				n, _ := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64) // "max": no limit
				take(n)
			}
			if p == "/" {
				break
			}
		}
	}
	return least
}
