package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
)

var recipes = map[string]string{
	"urn:li:digitalmediaRecipe:feedshare-image": "image",
	"urn:li:digitalmediaRecipe:feedshare-video": "video",
}

// registerUpload is POST /v2/assets?action=registerUpload.
func (s *Sandbox) registerUpload(w http.ResponseWriter, r *http.Request, g *grant) {
	if r.URL.Query().Get("action") != "registerUpload" {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "action must be registerUpload")
		return
	}
	var body struct {
		RegisterUploadRequest *struct {
			Recipes              []string `json:"recipes"`
			Owner                string   `json:"owner"`
			ServiceRelationships []struct {
				RelationshipType string `json:"relationshipType"`
				Identifier       string `json:"identifier"`
			} `json:"serviceRelationships"`
		} `json:"registerUploadRequest"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.RegisterUploadRequest == nil {
		invalid(w, "/registerUploadRequest", "field is required but not found and has no default value")
		return
	}
	req := body.RegisterUploadRequest
	if len(req.Recipes) != 1 || recipes[req.Recipes[0]] == "" {
		invalid(w, "/registerUploadRequest/recipes", "must hold one of urn:li:digitalmediaRecipe:feedshare-image, feedshare-video")
		return
	}
	if len(req.ServiceRelationships) != 1 || req.ServiceRelationships[0].RelationshipType != "OWNER" ||
		req.ServiceRelationships[0].Identifier != "urn:li:userGeneratedContent" {
		invalid(w, "/registerUploadRequest/serviceRelationships", "must be [{relationshipType: OWNER, identifier: urn:li:userGeneratedContent}]")
		return
	}
	if !s.checkAuthor(w, req.Owner, g, "/registerUploadRequest/owner", r.Method+" "+r.URL.Path) {
		return
	}
	kind := recipes[req.Recipes[0]]
	a := &asset{id: "C5522AQ" + randomID(12), owner: req.Owner, recipe: req.Recipes[0], kind: kind}
	s.mu.Lock()
	s.assets[a.id] = a
	s.mu.Unlock()
	artifact := "feedshare-uploaded" + strings.ToUpper(kind[:1]) + kind[1:]
	uploadURL := s.opts.BaseURL + "/mediaUpload/" + a.id + "/" + artifact + "/0?" + url.Values{
		"ca": {"vector_feedshare"}, "cn": {"uploads"}, "m": {"AQ" + randomID(12)}, "app": {"1953784"},
		"sync": {"0"}, "v": {"beta"}, "ut": {"2H" + randomID(10)}}.Encode()
	writeJSON(w, http.StatusOK, map[string]any{"value": map[string]any{
		"uploadMechanism": map[string]any{"com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest": map[string]any{
			"headers": map[string]string{}, "uploadUrl": uploadURL}},
		"mediaArtifact": "urn:li:digitalmediaMediaArtifact:(urn:li:digitalmediaAsset:" + a.id + ",urn:li:digitalmediaMediaArtifactClass:" + artifact + ")",
		"asset":         "urn:li:digitalmediaAsset:" + a.id,
	}})
}

// upload takes the bytes of a registered asset (PUT, or POST as LinkedIn's
// text says); the asset is AVAILABLE once they arrive.
func (s *Sandbox) upload(w http.ResponseWriter, r *http.Request, g *grant) {
	s.mu.Lock()
	a := s.assets[chi.URLParam(r, "asset")]
	s.mu.Unlock()
	if a == nil {
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "No upload was registered at this URL")
		return
	}
	// The bytes are hashed as they stream, never held.
	sum := sha256.New()
	n, err := io.Copy(sum, r.Body)
	if err != nil || n == 0 {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "the upload has no bytes or was cut off")
		return
	}
	s.mu.Lock()
	a.size, a.sha256, a.contentType = n, hex.EncodeToString(sum.Sum(nil)), r.Header.Get("Content-Type")
	s.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

// mediaStatus is GET /rest/{images,videos,documents}/{urn}: WAITING_UPLOAD
// until the bytes arrive, then AVAILABLE (a document PROCESSING once first).
// Images and videos registered through /v2/assets answer here too.
func (s *Sandbox) mediaStatus(kind string) func(http.ResponseWriter, *http.Request, *grant) {
	return func(w http.ResponseWriter, r *http.Request, g *grant) {
		urn, err := url.PathUnescape(chi.URLParam(r, "urn"))
		id, ok := strings.CutPrefix(urn, "urn:li:"+kind+":")
		if err != nil || !ok || id == "" {
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", "the key must be a urn:li:"+kind+" URN")
			return
		}
		s.mu.Lock()
		a := s.assets[id]
		var status, owner, downloadURL string
		if v := s.videos[id]; v != nil && kind == "video" {
			owner, status = v.owner, "WAITING_UPLOAD"
			if v.finalized {
				status, downloadURL = "AVAILABLE", s.opts.BaseURL+"/media/"+id
			}
		}
		if a != nil && a.kind == kind {
			owner, status = a.owner, "WAITING_UPLOAD"
			switch {
			case a.size == 0:
			case kind == "document" && a.statusReads == 0:
				// LinkedIn processes a document after its upload; the
				// sandbox answers PROCESSING to the first status read
				// after the bytes arrive and AVAILABLE from the next.
				a.statusReads++
				status = "PROCESSING"
			default:
				status, downloadURL = "AVAILABLE", s.opts.BaseURL+"/media/"+id
			}
		}
		s.mu.Unlock()
		if status == "" {
			apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Not Found: "+urn)
			return
		}
		out := map[string]any{"id": urn, "owner": owner, "status": status}
		if downloadURL != "" {
			out["downloadUrl"] = downloadURL
			out["downloadUrlExpiresAt"] = s.opts.Now().Add(s.opts.TokenLifetime).UnixMilli()
		}
		if kind == "video" {
			out["duration"], out["aspectRatioWidth"], out["aspectRatioHeight"] = 0, 16, 9
		}
		writeJSON(w, http.StatusOK, out)
	}
}
