// Package metricstest reads a /metrics scrape in tests.
package metricstest

import (
	"strconv"
	"strings"
)

// Sample is one line of a scrape: a series and its value.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Parse reads Prometheus's text format, skipping comments. A line it
// cannot read is returned with Name "" so a test can fail on it.
func Parse(scrape string) []Sample {
	var out []Sample
	for _, line := range strings.Split(scrape, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, parseLine(line))
	}
	return out
}

func parseLine(line string) Sample {
	s := Sample{Labels: map[string]string{}}
	rest := line
	if i := strings.IndexAny(rest, "{ "); i < 0 {
		return Sample{}
	} else {
		s.Name, rest = rest[:i], rest[i:]
	}
	if strings.HasPrefix(rest, "{") {
		rest = rest[1:]
		for !strings.HasPrefix(rest, "}") {
			eq := strings.Index(rest, `="`)
			if eq < 0 {
				return Sample{}
			}
			name := rest[:eq]
			rest = rest[eq+2:]
			var value strings.Builder
			for {
				if rest == "" {
					return Sample{}
				}
				c := rest[0]
				rest = rest[1:]
				if c == '"' {
					break
				}
				if c == '\\' && rest != "" {
					c, rest = rest[0], rest[1:]
					if c == 'n' {
						c = '\n'
					}
				}
				value.WriteByte(c)
			}
			s.Labels[name] = value.String()
			rest = strings.TrimPrefix(rest, ",")
		}
		rest = rest[1:]
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return Sample{}
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return Sample{}
	}
	s.Value = v
	return s
}

// Find is the value of the series named name whose labels are exactly
// labels, given as name, value pairs.
func Find(samples []Sample, name string, labels ...string) (float64, bool) {
	for _, s := range samples {
		if s.Name != name || len(s.Labels) != len(labels)/2 {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if v, ok := s.Labels[labels[i]]; !ok || v != labels[i+1] {
				match = false
				break
			}
		}
		if match {
			return s.Value, true
		}
	}
	return 0, false
}
