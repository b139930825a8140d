// Command chart-validate renders the graph's Helm chart offline and decodes
// every manifest strictly against the Kubernetes API types compiled into it:
// an unknown field, a wrong type or a kind the cluster would not know is an
// error, as `kubectl apply --validate=strict` would report it, without a
// cluster or a download.
//
//	chart-validate -chart deploy/helm/qsmo-graph [-values extra.yaml]... [-set-json '{"a":1}']
//	chart-validate -manifests rendered.yaml
//
// It prints one JSON report on stdout and exits 1 when any manifest is invalid.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

type manifest struct {
	Source     string `json:"source"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Error      string `json:"error,omitempty"`
	// The manifest as JSON, for callers that check what was rendered.
	Object json.RawMessage `json:"object,omitempty"`
}

type report struct {
	Valid     bool       `json:"valid"`
	Error     string     `json:"error,omitempty"`
	Manifests []manifest `json:"manifests"`
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var valuesFiles, setJSON multiFlag
	chartDir := flag.String("chart", "", "chart directory to render")
	manifestsFile := flag.String("manifests", "", "already rendered manifests (YAML documents) to decode instead of a chart")
	releaseName := flag.String("release", "qsmo", "release name to render with")
	namespace := flag.String("namespace", "qsmo", "namespace to render into")
	flag.Var(&valuesFiles, "values", "values file layered over the chart's values.yaml (repeatable)")
	flag.Var(&setJSON, "set-json", "JSON object layered over the values (repeatable), like helm --set-json")
	flag.Parse()

	r := report{Manifests: []manifest{}}
	var docs map[string]string
	var err error
	switch {
	case *manifestsFile != "":
		var raw []byte
		raw, err = os.ReadFile(*manifestsFile)
		docs = map[string]string{path.Base(*manifestsFile): string(raw)}
	case *chartDir != "":
		docs, err = render(*chartDir, valuesFiles, setJSON, *releaseName, *namespace)
	default:
		err = fmt.Errorf("give -chart <dir> or -manifests <file>")
	}
	if err != nil {
		r.Error = err.Error()
		emit(r)
		os.Exit(1)
	}
	r.Manifests = decodeAll(docs)
	r.Valid = len(r.Manifests) > 0
	for _, m := range r.Manifests {
		if m.Error != "" {
			r.Valid = false
		}
	}
	if len(r.Manifests) == 0 {
		r.Error = "no manifests were rendered"
	}
	emit(r)
	if !r.Valid {
		os.Exit(1)
	}
}

func emit(r report) {
	out, _ := json.MarshalIndent(r, "", "  ")
	fmt.Println(string(out))
}

func render(dir string, valuesFiles, setJSON []string, name, namespace string) (map[string]string, error) {
	chrt, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("loading the chart: %w", err)
	}
	overrides := map[string]interface{}{}
	for _, f := range valuesFiles {
		v, err := chartutil.ReadValuesFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		overrides = chartutil.MergeTables(v.AsMap(), overrides)
	}
	for _, s := range setJSON {
		var v map[string]interface{}
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("-set-json %q is not a JSON object: %w", s, err)
		}
		overrides = chartutil.MergeTables(v, overrides)
	}
	opts := chartutil.ReleaseOptions{Name: name, Namespace: namespace, Revision: 1, IsInstall: true}
	// ToRenderValues also checks the values against the chart's values.schema.json.
	vals, err := chartutil.ToRenderValues(chrt, overrides, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	var eng engine.Engine
	// Not strict: `helm install` renders a missing value as empty too, and the chart relies on that for optional keys.
	eng.Strict = false
	files, err := eng.Render(chrt, vals)
	if err != nil {
		return nil, fmt.Errorf("rendering: %w", err)
	}
	docs := map[string]string{}
	for file, content := range files {
		base := path.Base(file)
		if strings.HasPrefix(base, "_") || strings.HasSuffix(base, "NOTES.txt") {
			continue
		}
		docs[file] = content
	}
	return docs, nil
}

func decodeAll(docs map[string]string) []manifest {
	strict := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
	sources := make([]string, 0, len(docs))
	for s := range docs {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	var out []manifest
	for _, source := range sources {
		split := releaseutil.SplitManifests(docs[source])
		keys := make([]string, 0, len(split))
		for k := range split {
			keys = append(keys, k)
		}
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		for _, k := range keys {
			doc := split[k]
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			m := manifest{Source: source}
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				m.Error = fmt.Sprintf("not YAML: %v", err)
				out = append(out, m)
				continue
			}
			m.APIVersion, m.Kind, m.Name = head.APIVersion, head.Kind, head.Metadata.Name
			if asJSON, err := yaml.YAMLToJSON([]byte(doc)); err == nil {
				m.Object = asJSON
			}
			if m.Name == "" {
				m.Error = "metadata.name is empty"
			} else if _, _, err := strict.Decode([]byte(doc), nil, nil); err != nil {
				m.Error = err.Error()
			}
			out = append(out, m)
		}
	}
	return out
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteString("\n")
		}
	}
	return b.String()
}
