// Command k8s-validate checks Kubernetes manifests offline, with no cluster.
//
// It reads multi-document YAML on stdin (typically the output of `helm template`) and decodes
// every object strictly against the Kubernetes API types compiled into client-go: an unknown
// kind or apiVersion, an unknown or duplicated field, or a value of the wrong type is an error.
// It then runs the checks in checks.go (things the API server or the controllers would reject
// or silently get wrong, such as a Service selecting no pods). Every problem is printed on
// stderr as `Kind/name: message`, and the exit status is 1 when there was any.
//
// With --json it also prints the decoded objects on stdout as one JSON array, so tests can
// assert on a render without a YAML parser.
//
// Exit status: 0 valid, 1 invalid, 2 could not read the input.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// object is one decoded manifest: the typed value plus the identity used in messages.
type object struct {
	kind, name string
	typed      runtime.Object
	raw        map[string]any
}

func (o object) id() string { return o.kind + "/" + o.name }

func main() {
	asJSON := flag.Bool("json", false, "print the decoded objects on stdout as a JSON array")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: helm template … | k8s-validate [--json]")
		flag.PrintDefaults()
	}
	flag.Parse()

	objects, problems, err := decodeAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8s-validate:", err)
		os.Exit(2)
	}
	problems = append(problems, check(objects)...)

	if *asJSON {
		out := make([]map[string]any, 0, len(objects))
		for _, o := range objects {
			out = append(out, o.raw)
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(os.Stderr, "k8s-validate:", err)
			os.Exit(2)
		}
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "k8s-validate: %d problem(s) in %d object(s)\n", len(problems), len(objects))
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "k8s-validate: %d object(s) valid\n", len(objects))
}

// decodeAll splits the stream into YAML documents and decodes each one strictly. Documents that
// hold nothing (helm's `# Source:` comments, a template that rendered empty) are skipped. Objects
// that fail to decode are reported and left out of the result.
func decodeAll(in io.Reader) ([]object, []string, error) {
	strict := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	var objects []object
	var problems []string
	for index := 1; ; index++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", index, err)
		}
		data, err := yaml.YAMLToJSON(doc)
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %d: not valid YAML: %v", index, err))
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			problems = append(problems, fmt.Sprintf("document %d: not a YAML mapping: %v", index, err))
			continue
		}
		if raw == nil {
			continue
		}
		o := object{kind: str(raw["kind"]), name: str(dig(raw, "metadata", "name")), raw: raw}
		if o.kind == "" {
			o.kind = fmt.Sprintf("document %d", index)
		}
		// A key given twice in one mapping is an error, not last-one-wins.
		if _, err := yaml.YAMLToJSONStrict(doc); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", o.id(), err))
			continue
		}
		typed, gvk, err := strict.Decode(data, nil, nil)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", o.id(), err))
			continue
		}
		o.typed = typed
		o.raw["apiVersion"], o.raw["kind"] = gvk.GroupVersion().String(), gvk.Kind
		objects = append(objects, o)
	}
	return objects, problems, nil
}

func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
