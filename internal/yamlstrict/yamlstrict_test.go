package yamlstrict

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type inner struct {
	Port int `yaml:"port"`
}

type outer struct {
	Name    string        `yaml:"name"`
	Wait    time.Duration `yaml:"wait"`
	Items   []inner       `yaml:"items"`
	Section yaml.Node     `yaml:"section"`
}

func TestDecodeReportsEveryProblemWithFileLines(t *testing.T) {
	src := `# a comment
top:
  name: x
  nmae: y
  wait: soon
  items:
    - port: 1
    - prot: 2
    - port: abc
  section: {anything: goes}
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	sec := doc.Content[0].Content[1] // the value of "top"
	var o outer
	err := Decode(sec, &o)
	te, ok := err.(*yaml.TypeError)
	if !ok {
		t.Fatalf("err = %v, want a *yaml.TypeError", err)
	}
	want := []string{
		"line 4: field nmae not found in type yamlstrict.outer; known: items, name, section, wait",
		"line 8: field prot not found in type yamlstrict.inner; known: port",
		"line 5: cannot unmarshal !!str `soon` into time.Duration",
		"line 9: cannot unmarshal !!str `abc` into int",
	}
	if got := strings.Join(te.Errors, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	if o.Name != "x" || len(o.Items) != 3 || o.Items[0].Port != 1 {
		t.Errorf("the good values were not decoded: %+v", o)
	}
}

func TestDecodeEmpty(t *testing.T) {
	var o outer
	if err := Decode(nil, &o); err != nil {
		t.Fatal(err)
	}
	if err := Decode(&yaml.Node{}, &o); err != nil {
		t.Fatal(err)
	}
}
