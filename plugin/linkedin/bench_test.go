package linkedin_test

import (
	"net/http"
	"testing"

	"pluginserver/internal/catalog"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// BenchmarkValidate measures form validation per command, on its first
// example.
func BenchmarkValidate(b *testing.B) {
	cat, err := catalog.New(linkedin.Plugin())
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range linkedin.Plugin().Commands {
		_, v, _ := cat.Command("linkedin", c.ID)
		params := c.Form.Examples[0].Params
		b.Run(c.ID, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if v.Validate(params) != nil {
					b.Fatal("example refused")
				}
			}
		})
	}
}

// BenchmarkBuild measures building each command's (first) LinkedIn request.
func BenchmarkBuild(b *testing.B) {
	for _, c := range linkedin.Plugin().Commands {
		params := c.Form.Examples[0].Params
		b.Run(c.ID, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := firstCall(c, params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMapCreated measures mapping a create's answer (id from the
// X-RestLi-Id header).
func BenchmarkMapCreated(b *testing.B) {
	c, _ := linkedin.Plugin().Command("createPost")
	h := http.Header{}
	h.Set("X-RestLi-Id", "urn:li:share:6844785523593134080")
	r := &plugin.Response{Status: 201, Header: h}
	b.ReportAllocs()
	for b.Loop() {
		c.Map(r)
	}
}
