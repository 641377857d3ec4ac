package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// PartSize is the size of each part of a video upload, as LinkedIn plans it.
const PartSize = 4 << 20

// video is a Videos API upload: its parts' ETags, then finalized.
type video struct {
	id, owner string
	size      int64
	token     string
	etags     []string // per part, "" until it arrives
	hash      []string // per part, the SHA-256 of its bytes
	finalized bool
}

// videoAction is POST /rest/videos?action=initializeUpload or finalizeUpload.
func (s *Sandbox) videoAction(w http.ResponseWriter, r *http.Request, g *grant) {
	switch r.URL.Query().Get("action") {
	case "initializeUpload":
		var body struct {
			Req *struct {
				Owner         string `json:"owner"`
				FileSizeBytes int64  `json:"fileSizeBytes"`
			} `json:"initializeUploadRequest"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil || body.Req == nil || body.Req.FileSizeBytes <= 0 {
			invalid(w, "/initializeUploadRequest/fileSizeBytes", "field is required and must be positive")
			return
		}
		if !s.checkAuthor(w, body.Req.Owner, g, "/initializeUploadRequest/owner", access(r, "videos", "ACTION-initializeUpload")) {
			return
		}
		v := &video{id: "C5F10AQ" + randomID(12), owner: body.Req.Owner, size: body.Req.FileSizeBytes, token: randomID(16)}
		// LinkedIn plans parts on www.linkedin.com/dms-uploads/..., a host
		// the emulator cannot answer for; its own host's upload shape,
		// {BaseURL}/mediaUpload/..., is the one the upload check takes there.
		var plan []map[string]any
		for first := int64(0); first < v.size; first += PartSize {
			last := min(first+PartSize, v.size) - 1
			plan = append(plan, map[string]any{"uploadUrl": fmt.Sprintf("%s/mediaUpload/video/%s/%d", s.opts.BaseURL, v.id, len(plan)), "firstByte": first, "lastByte": last})
		}
		v.etags, v.hash = make([]string, len(plan)), make([]string, len(plan))
		s.mu.Lock()
		s.videos[v.id] = v
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"value": map[string]any{"video": "urn:li:video:" + v.id, "uploadToken": v.token, "uploadInstructions": plan}})
	case "finalizeUpload":
		var body struct {
			Req *struct {
				Video       string   `json:"video"`
				UploadToken string   `json:"uploadToken"`
				Parts       []string `json:"uploadedPartIds"`
			} `json:"finalizeUploadRequest"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil || body.Req == nil {
			invalid(w, "/finalizeUploadRequest", "field is required but not found and has no default value")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		v := s.videos[strings.TrimPrefix(body.Req.Video, "urn:li:video:")]
		switch {
		case v == nil:
			apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Not Found: "+body.Req.Video)
		case body.Req.UploadToken != v.token || !slices.Equal(body.Req.Parts, v.etags) || slices.Contains(v.etags, ""):
			invalid(w, "/finalizeUploadRequest/uploadedPartIds", "the parts do not match the upload's parts")
		default:
			v.finalized = true
			w.WriteHeader(http.StatusOK)
		}
	default:
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "action must be initializeUpload or finalizeUpload")
	}
}

// videoPart takes one part's bytes, which must be exactly the part's size,
// and answers with its ETag.
func (s *Sandbox) videoPart(w http.ResponseWriter, r *http.Request, g *grant) {
	part, err := strconv.Atoi(chi.URLParam(r, "part"))
	s.mu.Lock()
	v := s.videos[chi.URLParam(r, "video")]
	s.mu.Unlock()
	if v == nil || err != nil || part < 0 || part >= len(v.etags) {
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "No upload was registered at this URL")
		return
	}
	want := min(PartSize, v.size-int64(part)*PartSize)
	sum := sha256.New()
	n, err := io.Copy(sum, r.Body)
	if err != nil || n != want {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("part %d must be %d bytes, got %d", part, want, n))
		return
	}
	etag := "/" + randomID(20)
	s.mu.Lock()
	v.etags[part], v.hash[part] = etag, hex.EncodeToString(sum.Sum(nil))
	s.mu.Unlock()
	w.Header().Set("ETag", etag)
	w.WriteHeader(http.StatusOK)
}

// Video says whether a video was finalized, and the SHA-256 of each part.
func (s *Sandbox) Video(urn string) (finalized bool, partHashes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.videos[strings.TrimPrefix(urn, "urn:li:video:")]
	if v == nil {
		return false, nil
	}
	return v.finalized, slices.Clone(v.hash)
}
