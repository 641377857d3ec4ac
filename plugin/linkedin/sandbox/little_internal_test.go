package sandbox

import "testing"

func TestShownLength(t *testing.T) {
	for _, tt := range []struct {
		text string
		want int
	}{
		{"", 0},
		{"Hello", 5},
		{`\(x\)`, 3},
		{`\\`, 1},
		{"🚀 é", 3},
		{"@[Jane Doe](urn:li:person:1) hi", 12},
		{`@[Acme \(EU\)](urn:li:organization:2)`, 10},
		{"@[unclosed", 10},
	} {
		if got := shownLength(tt.text); got != tt.want {
			t.Errorf("shownLength(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}
