package linkedin

var uploadDocument = mediaUpload{kind: "document", maxBytes: 100_000_000, named: "PDF, PPT, PPTX, DOC or DOCX; up to 100 MB and 300 pages",
	example: "data:application/pdf;base64,JVBERi0xLjQK",
	types: []string{"application/pdf", "application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
		"application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}}.command(
	"uploadDocument", "Upload Document",
	"Upload a document (PDF, PPT(X), DOC(X); up to 100 MB and 300 pages) with LinkedIn's Documents API, in one step: output.document is the URN for Share Post's media, which posts it as a carousel. Send the file as the request's body, or as data.",
	answered("Upload a PDF", `{"owner":"person:782bbtaQ","data":"data:application/pdf;base64,JVBERi0xLjQK"}`, 201, nil,
		`{"id":"urn:li:document:D5510AQH1","document":"urn:li:document:D5510AQH1","bytes":9}`))
