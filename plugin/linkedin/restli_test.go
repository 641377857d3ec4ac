package linkedin_test

import (
	"testing"

	"pluginserver/plugin/linkedin"
)

// restliExample is the value LinkedIn's JavaScript client tests its
// encoder with (tests/utils/encoder.test.ts of
// linkedin-developers/linkedin-api-js-client), field for field and in its
// order; its undefined field, which JSON drops, is left out.
var restliExample = linkedin.Record{
	{"k1", "v1"},
	{"k2", "value with spaces"},
	{"k3", linkedin.List{1, 2, 3}},
	{"k4", "List(value:with%reserved,chars,'')"},
	{"k5", linkedin.Record{{"k51", "v51"}, {"k52", "v52"}}},
	{"k6", linkedin.List{"(v1,2)", "(v2,2)"}},
	{"dangerous('),:key:", "value"},
	{"emptystring", ""},
	{"querystringbreaker1", "?key=value"},
	{"querystringbreaker2", "&key=value&"},
	{"boom", nil},
	{"true", true},
	{"false", false},
	{"multibyte", "株式会社"},
	{"株式会社", "multibytekey"},
	{"", "emptystringkey"},
	{"emptyList", linkedin.List{}},
	{"emptyListString", linkedin.List{""}},
}

// TestRestliEncodeAsLinkedIn: the strings LinkedIn's client expects for
// its example, in each of its three encodings, and the cases our commands
// send.
func TestRestliEncodeAsLinkedIn(t *testing.T) {
	for _, c := range []struct {
		name, got, want string
	}{
		{"encode", linkedin.RestliEncode(restliExample),
			"(k1:v1,k2:value%20with%20spaces,k3:List(1,2,3),k4:List%28value%3Awith%25reserved%2Cchars%2C%27%27%29,k5:(k51:v51,k52:v52),k6:List(%28v1%2C2%29,%28v2%2C2%29),dangerous%28%27%29%2C%3Akey%3A:value,emptystring:'',querystringbreaker1:%3Fkey%3Dvalue,querystringbreaker2:%26key%3Dvalue%26,boom:null,true:true,false:false,multibyte:%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE,%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE:multibytekey,'':emptystringkey,emptyList:List(),emptyListString:List(''))"},
		{"reducedEncode", linkedin.RestliReducedEncode(restliExample),
			"(k1:v1,k2:value with spaces,k3:List(1,2,3),k4:List%28value%3Awith%reserved%2Cchars%2C%27%27%29,k5:(k51:v51,k52:v52),k6:List(%28v1%2C2%29,%28v2%2C2%29),dangerous%28%27%29%2C%3Akey%3A:value,emptystring:'',querystringbreaker1:?key=value,querystringbreaker2:&key=value&,boom:null,true:true,false:false,multibyte:株式会社,株式会社:multibytekey,'':emptystringkey,emptyList:List(),emptyListString:List(''))"},
		{"paramEncode", linkedin.RestliQuery(restliExample),
			"k1=v1&k2=value%20with%20spaces&k3=List(1,2,3)&k4=List%28value%3Awith%25reserved%2Cchars%2C%27%27%29&k5=(k51:v51,k52:v52)&k6=List(%28v1%2C2%29,%28v2%2C2%29)&dangerous%28%27%29%2C%3Akey%3A=value&emptystring=''&querystringbreaker1=%3Fkey%3Dvalue&querystringbreaker2=%26key%3Dvalue%26&boom=null&true=true&false=false&multibyte=%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE&%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE=multibytekey&''=emptystringkey&emptyList=List()&emptyListString=List('')"},
		// What our commands send.
		{"urn", linkedin.RestliEncode("urn:li:organization:2414183"), "urn%3Ali%3Aorganization%3A2414183"},
		{"reaction key", linkedin.RestliEncode(linkedin.Record{{"actor", "urn:li:person:782bbtaQ"}, {"entity", "urn:li:share:1"}}),
			"(actor:urn%3Ali%3Aperson%3A782bbtaQ,entity:urn%3Ali%3Ashare%3A1)"},
		{"time intervals", linkedin.RestliEncode(linkedin.Record{
			{"timeRange", linkedin.Record{{"start", int64(1793491200000)}, {"end", int64(1796083200000)}}},
			{"timeGranularityType", "DAY"}}),
			"(timeRange:(start:1793491200000,end:1796083200000),timeGranularityType:DAY)"},
		{"list of urns", linkedin.RestliEncode([]string{"urn:li:share:1", "urn:li:ugcPost:2"}), "List(urn%3Ali%3Ashare%3A1,urn%3Ali%3AugcPost%3A2)"},
		{"batch ids", linkedin.RestliQuery(linkedin.Record{{"ids", []string{"1", "2"}}}), "ids=List(1,2)"},
		{"empty list", linkedin.RestliEncode(linkedin.List{}), "List()"},
		{"empty record", linkedin.RestliEncode(linkedin.Record{}), "()"},
		{"float", linkedin.RestliEncode(0.25), "0.25"},
		{"unreserved kept", linkedin.RestliEncode("a-b_c.d!e~f*g"), "a-b_c.d!e~f*g"},
		{"slash, plus, percent, quote", linkedin.RestliEncode(`a/b+c%d"e'f`), "a%2Fb%2Bc%25d%22e%27f"},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
}
