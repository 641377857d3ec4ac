package linkedin

var uploadImage = mediaUpload{kind: "image", types: []string{"image/png", "image/jpeg", "image/gif"}, named: "PNG, JPG or GIF",
	example: "data:image/png;base64,iVBORw0KGgo="}.command(
	"uploadImage", "Upload Image",
	"Upload an image with LinkedIn's Images API, in one step: output.image is the URN for Share Post (media or multiImage). Send the file as the request's body, or as data.",
	answered("Upload a PNG, waiting until it is available", `{"owner":"person:782bbtaQ","data":"data:image/png;base64,iVBORw0KGgo=","waitUntilAvailable":true}`, 201, nil,
		`{"id":"urn:li:image:C4E10AQFoyyAjHPMQuQ","image":"urn:li:image:C4E10AQFoyyAjHPMQuQ","bytes":8,"status":"AVAILABLE"}`))
