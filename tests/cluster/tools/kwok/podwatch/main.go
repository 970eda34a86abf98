// Command switchyard-podwatch gives every pod of a kwok cluster its own
// directory on this machine, so that `exec` and `logs` through the API server
// behave like per-container sandboxes (test tooling for tests/cluster only).
//
// kwok runs exec'd commands on the host, in the work dir of the kwok Exec (or
// ClusterExec) resource that matches the pod, and serves `logs` from the file
// named by the matching Logs (or ClusterLogs) resource. Neither can be
// templated by pod, so for every pod this program:
//
//  1. creates <pods-dir>/<namespace>_<name>_<uid>/ with workspace/, logs/,
//     home/, tmp/ and .cri/ (one log file per container in logs/ and .cri/);
//  2. creates a namespaced kwok Exec and Logs resource named like the pod
//     (owned by the pod, so the garbage collector removes them with it):
//     exec runs in workspace/ with the container's env (literal values, and
//     Secret references resolved as a kubelet does) plus HOME, TMPDIR and
//     SWITCHYARD_KWOK_* variables; logs read .cri/<container>.log;
//  3. copies every line appended to logs/<container>.log into
//     .cri/<container>.log in the CRI log format kwok (the kubelet's log
//     reader) requires;
//  4. once the pod is bound to a node, checks through the API server that
//     kwok already uses this pod's Exec and Logs (an exec that prints
//     $SWITCHYARD_KWOK_POD_DIR, and a logs request), and only then sets the
//     annotation kwok.switchyard.local/pod-dir=<dir> on the pod; the
//     cluster's pod-ready Stage waits for that annotation, so a pod is never
//     Running before its exec and logs are wired to its own directory;
//  5. removes the directory when the pod is gone (unless --keep-pod-dirs).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/util/workqueue"

	kwokv1alpha1 "sigs.k8s.io/kwok/pkg/apis/v1alpha1"
	kwokclient "sigs.k8s.io/kwok/pkg/client/clientset/versioned"
)

const (
	// annPodDir is set on a pod once its directory, Exec and Logs are live.
	annPodDir = "kwok.switchyard.local/pod-dir"
	// labelManagedBy marks the Exec and Logs resources this program owns.
	labelManagedBy = "kwok.switchyard.local/managed-by"
	managerName    = "switchyard-podwatch"

	criTimeFormat = "2006-01-02T15:04:05.000000000Z07:00"
)

type podState struct {
	uid    types.UID
	dir    string
	cancel context.CancelFunc // stops the log copiers
}

type watcher struct {
	cfg     *rest.Config
	kube    kubernetes.Interface
	kwok    kwokclient.Interface
	podsDir string
	keep    bool
	lister  corelisters.PodLister
	queue   workqueue.TypedRateLimitingInterface[string]

	mu   sync.Mutex
	pods map[string]*podState // by namespace/name
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig file")
	kubeContext := flag.String("context", "", "kubeconfig context")
	podsDir := flag.String("pods-dir", "", "directory that holds one directory per pod (required)")
	keep := flag.Bool("keep-pod-dirs", false, "keep a pod's directory after the pod is deleted")
	workers := flag.Int("workers", 4, "pods handled in parallel")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if *podsDir == "" {
		log.Fatal("--pods-dir is required")
	}
	dir, err := filepath.Abs(*podsDir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}

	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: *kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: *kubeContext},
	).ClientConfig()
	if err != nil {
		log.Fatalf("kubeconfig: %v", err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Fatal(err)
	}
	kw, err := kwokclient.NewForConfig(cfg)
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	factory := informers.NewSharedInformerFactory(kube, 30*time.Second)
	podInformer := factory.Core().V1().Pods()
	w := &watcher{
		cfg:     cfg,
		kube:    kube,
		kwok:    kw,
		podsDir: dir,
		keep:    *keep,
		lister:  podInformer.Lister(),
		queue: workqueue.NewTypedRateLimitingQueue(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](50*time.Millisecond, 2*time.Second)),
		pods: map[string]*podState{},
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			w.queue.Add(key)
		}
	}
	_, err = podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	})
	if err != nil {
		log.Fatal(err)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), podInformer.Informer().HasSynced) {
		log.Fatal("pod cache did not sync")
	}
	w.sweep()
	log.Printf("watching pods; pod directories in %s", dir)

	var wg sync.WaitGroup
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
	w.queue.ShutDown()
	wg.Wait()
	w.mu.Lock()
	for _, st := range w.pods {
		st.cancel()
	}
	w.mu.Unlock()
	log.Print("stopped")
}

func (w *watcher) processNext(ctx context.Context) bool {
	key, quit := w.queue.Get()
	if quit {
		return false
	}
	defer w.queue.Done(key)
	if err := w.reconcile(ctx, key); err != nil {
		if ctx.Err() == nil {
			log.Printf("pod %s: %v (retrying)", key, err)
		}
		w.queue.AddRateLimited(key)
		return true
	}
	w.queue.Forget(key)
	return true
}

func podDirName(ns, name string, uid types.UID) string {
	return fmt.Sprintf("%s_%s_%s", ns, name, uid)
}

// sweep removes directories of pods that no longer exist (left by an earlier run).
func (w *watcher) sweep() {
	entries, err := os.ReadDir(w.podsDir)
	if err != nil {
		return
	}
	pods, err := w.lister.List(labels.Everything())
	if err != nil {
		return
	}
	live := map[string]bool{}
	for _, p := range pods {
		live[podDirName(p.Namespace, p.Name, p.UID)] = true
	}
	for _, e := range entries {
		if e.IsDir() && !live[e.Name()] && !w.keep {
			_ = os.RemoveAll(filepath.Join(w.podsDir, e.Name()))
		}
	}
}

func (w *watcher) reconcile(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := w.lister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		w.forget(ctx, key, "")
		return nil
	}
	if err != nil {
		return err
	}
	if pod.DeletionTimestamp != nil {
		return nil
	}

	w.mu.Lock()
	st := w.pods[key]
	w.mu.Unlock()
	if st != nil && st.uid != pod.UID {
		// Same name, new pod: the old one is gone.
		w.forget(ctx, key, st.uid)
		st = nil
	}

	dir := filepath.Join(w.podsDir, podDirName(ns, name, pod.UID))
	containers := containerNames(pod)
	if err := prepareDir(dir, containers); err != nil {
		return err
	}
	if st == nil {
		st = &podState{uid: pod.UID, dir: dir}
		pctx, cancel := context.WithCancel(context.Background())
		st.cancel = cancel
		for _, c := range containers {
			go copyLog(pctx, filepath.Join(dir, "logs", c+".log"), filepath.Join(dir, ".cri", c+".log"))
		}
		w.mu.Lock()
		w.pods[key] = st
		w.mu.Unlock()
	}

	if err := w.ensureExec(ctx, pod, dir); err != nil {
		return fmt.Errorf("exec resource: %w", err)
	}
	if err := w.ensureLogs(ctx, pod, dir, containers); err != nil {
		return fmt.Errorf("logs resource: %w", err)
	}
	if pod.Annotations[annPodDir] == dir || pod.Spec.NodeName == "" {
		return nil
	}
	if err := w.probe(ctx, pod, dir); err != nil {
		return err
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":         pod.UID, // precondition: never annotate a newer pod of the same name
		"annotations": map[string]string{annPodDir: dir},
	}})
	_, err = w.kube.CoreV1().Pods(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("annotate pod: %w", err)
	}
	log.Printf("pod %s ready: %s", key, dir)
	return nil
}

// forget stops the log copiers of a pod that is gone and removes its
// directory and (if still there) its Exec and Logs resources.
func (w *watcher) forget(ctx context.Context, key string, uid types.UID) {
	w.mu.Lock()
	st := w.pods[key]
	if st != nil && (uid == "" || st.uid == uid) {
		delete(w.pods, key)
	} else {
		st = nil
	}
	w.mu.Unlock()
	if st == nil {
		return
	}
	st.cancel()
	ns, name, _ := cache.SplitMetaNamespaceKey(key)
	pre := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{}}
	if e, err := w.kwok.KwokV1alpha1().Execs(ns).Get(ctx, name, metav1.GetOptions{}); err == nil && ownedBy(e.OwnerReferences, st.uid) {
		pre.Preconditions.UID = &e.UID
		_ = w.kwok.KwokV1alpha1().Execs(ns).Delete(ctx, name, pre)
	}
	if l, err := w.kwok.KwokV1alpha1().Logs(ns).Get(ctx, name, metav1.GetOptions{}); err == nil && ownedBy(l.OwnerReferences, st.uid) {
		pre.Preconditions.UID = &l.UID
		_ = w.kwok.KwokV1alpha1().Logs(ns).Delete(ctx, name, pre)
	}
	// Like a container's processes when its pod goes: kill whatever still
	// runs in the pod's directory (e.g. a background job left by an exec).
	killProcessesIn(st.dir)
	if !w.keep {
		if err := os.RemoveAll(st.dir); err != nil {
			log.Printf("pod %s: remove %s: %v", key, st.dir, err)
		}
	}
	log.Printf("pod %s gone", key)
}

// killProcessesIn sends SIGKILL to every process whose working directory is
// dir or below it.
func killProcessesIn(dir string) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil {
			continue
		}
		if cwd == dir || strings.HasPrefix(cwd, dir+"/") {
			if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
				log.Printf("killed pid %d left running in %s", pid, cwd)
			}
		}
	}
}

func ownedBy(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.UID == uid {
			return true
		}
	}
	return false
}

func containerNames(pod *corev1.Pod) []string {
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	return names
}

func prepareDir(dir string, containers []string) error {
	for _, sub := range []string{"workspace", "logs", "home", "tmp", ".cri"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for _, c := range containers {
		for _, f := range []string{filepath.Join(dir, "logs", c+".log"), filepath.Join(dir, ".cri", c+".log")} {
			fh, err := os.OpenFile(f, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			_ = fh.Close()
		}
	}
	return nil
}

func ownerRef(pod *corev1.Pod) []metav1.OwnerReference {
	return []metav1.OwnerReference{{
		APIVersion: "v1",
		Kind:       "Pod",
		Name:       pod.Name,
		UID:        pod.UID,
	}}
}

func (w *watcher) ensureExec(ctx context.Context, pod *corev1.Pod, dir string) error {
	var spec kwokv1alpha1.ExecSpec
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		var envs []kwokv1alpha1.EnvVar
		resolved, err := w.secretEnv(ctx, pod.Namespace, c)
		if err != nil {
			return err
		}
		envs = append(envs, resolved...)
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				envs = append(envs, kwokv1alpha1.EnvVar{Name: e.Name, Value: e.Value})
			}
		}
		envs = append(envs,
			kwokv1alpha1.EnvVar{Name: "HOME", Value: filepath.Join(dir, "home")},
			kwokv1alpha1.EnvVar{Name: "TMPDIR", Value: filepath.Join(dir, "tmp")},
			kwokv1alpha1.EnvVar{Name: "SWITCHYARD_KWOK_POD_DIR", Value: dir},
			kwokv1alpha1.EnvVar{Name: "SWITCHYARD_KWOK_WORKSPACE", Value: filepath.Join(dir, "workspace")},
			kwokv1alpha1.EnvVar{Name: "SWITCHYARD_KWOK_LOG_FILE", Value: filepath.Join(dir, "logs", c.Name+".log")},
		)
		spec.Execs = append(spec.Execs, kwokv1alpha1.ExecTarget{
			Containers: []string{c.Name},
			Local: &kwokv1alpha1.ExecTargetLocal{
				WorkDir: filepath.Join(dir, "workspace"),
				Envs:    envs,
			},
		})
	}
	client := w.kwok.KwokV1alpha1().Execs(pod.Namespace)
	cur, err := client.Get(ctx, pod.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = client.Create(ctx, &kwokv1alpha1.Exec{
			ObjectMeta: metav1.ObjectMeta{
				Name: pod.Name, Namespace: pod.Namespace,
				Labels:          map[string]string{labelManagedBy: managerName},
				OwnerReferences: ownerRef(pod),
			},
			Spec: spec,
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if ownedBy(cur.OwnerReferences, pod.UID) && equality.Semantic.DeepEqual(cur.Spec, spec) {
		return nil
	}
	cur = cur.DeepCopy()
	cur.Spec = spec
	cur.OwnerReferences = ownerRef(pod)
	if cur.Labels == nil {
		cur.Labels = map[string]string{}
	}
	cur.Labels[labelManagedBy] = managerName
	_, err = client.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}

// secretEnv resolves a container's `envFrom: secretRef` and
// `env[].valueFrom.secretKeyRef` entries the way a kubelet does, so exec'd
// commands see secret values as on a real node. A missing (non-optional)
// Secret or key is an error: the pod is retried and stays Pending, like a
// kubelet's CreateContainerConfigError.
func (w *watcher) secretEnv(ctx context.Context, ns string, c corev1.Container) ([]kwokv1alpha1.EnvVar, error) {
	var out []kwokv1alpha1.EnvVar
	get := func(name string) (*corev1.Secret, error) {
		return w.kube.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	}
	for _, from := range c.EnvFrom {
		if from.SecretRef == nil {
			continue
		}
		sec, err := get(from.SecretRef.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && from.SecretRef.Optional != nil && *from.SecretRef.Optional {
				continue
			}
			return nil, fmt.Errorf("secret %s/%s for container %s: %w", ns, from.SecretRef.Name, c.Name, err)
		}
		keys := make([]string, 0, len(sec.Data))
		for k := range sec.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, kwokv1alpha1.EnvVar{Name: from.Prefix + k, Value: string(sec.Data[k])})
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		optional := ref.Optional != nil && *ref.Optional
		sec, err := get(ref.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && optional {
				continue
			}
			return nil, fmt.Errorf("secret %s/%s for container %s: %w", ns, ref.Name, c.Name, err)
		}
		v, ok := sec.Data[ref.Key]
		if !ok {
			if optional {
				continue
			}
			return nil, fmt.Errorf("secret %s/%s has no key %q (container %s)", ns, ref.Name, ref.Key, c.Name)
		}
		out = append(out, kwokv1alpha1.EnvVar{Name: e.Name, Value: string(v)})
	}
	return out, nil
}

func (w *watcher) ensureLogs(ctx context.Context, pod *corev1.Pod, dir string, containers []string) error {
	var spec kwokv1alpha1.LogsSpec
	for _, c := range containers {
		f := filepath.Join(dir, ".cri", c+".log")
		follow := true
		spec.Logs = append(spec.Logs, kwokv1alpha1.Log{Containers: []string{c}, LogsFile: &f, Follow: &follow})
	}
	client := w.kwok.KwokV1alpha1().Logs(pod.Namespace)
	cur, err := client.Get(ctx, pod.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = client.Create(ctx, &kwokv1alpha1.Logs{
			ObjectMeta: metav1.ObjectMeta{
				Name: pod.Name, Namespace: pod.Namespace,
				Labels:          map[string]string{labelManagedBy: managerName},
				OwnerReferences: ownerRef(pod),
			},
			Spec: spec,
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if ownedBy(cur.OwnerReferences, pod.UID) && equality.Semantic.DeepEqual(cur.Spec, spec) {
		return nil
	}
	cur = cur.DeepCopy()
	cur.Spec = spec
	cur.OwnerReferences = ownerRef(pod)
	if cur.Labels == nil {
		cur.Labels = map[string]string{}
	}
	cur.Labels[labelManagedBy] = managerName
	_, err = client.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}

// probe checks, through the API server, that kwok-controller already serves
// this pod's exec and logs from its own directory.
func (w *watcher) probe(ctx context.Context, pod *corev1.Pod, dir string) error {
	if len(pod.Spec.Containers) == 0 {
		return errors.New("pod has no containers")
	}
	container := pod.Spec.Containers[0].Name
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()

	req := w.kube.CoreV1().RESTClient().Post().Resource("pods").Namespace(pod.Namespace).Name(pod.Name).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{
		Container: container,
		Command:   []string{"sh", "-c", `printf '%s' "$SWITCHYARD_KWOK_POD_DIR"`},
		Stdout:    true,
		Stderr:    true,
	}, scheme.ParameterCodec)
	ex, err := remotecommand.NewWebSocketExecutor(w.cfg, "GET", req.URL().String())
	if err != nil {
		return err
	}
	var stdout, stderr bytes.Buffer
	if err := ex.StreamWithContext(pctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}); err != nil {
		return fmt.Errorf("exec probe not ready yet: %v %s", err, strings.TrimSpace(stderr.String()))
	}
	if got := stdout.String(); got != dir {
		return fmt.Errorf("exec probe not ready yet: got pod dir %q, want %q", got, dir)
	}

	rc, err := w.kube.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: container}).Stream(pctx)
	if err != nil {
		return fmt.Errorf("logs probe not ready yet: %v", err)
	}
	_, _ = io.Copy(io.Discard, rc)
	_ = rc.Close()
	return nil
}

// copyLog appends every line written to src (plain text) to dst in the CRI
// log format ("<RFC3339Nano> stdout F <line>"). A trailing line without a
// newline is flushed as a partial ("P") entry after 500ms.
func copyLog(ctx context.Context, src, dst string) {
	var off int64
	var pending []byte
	var pendingSince time.Time
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		data, newOff, err := readFrom(src, off)
		if err != nil {
			continue
		}
		off = newOff
		if len(data) > 0 {
			if len(pending) == 0 {
				pendingSince = time.Now()
			}
			pending = append(pending, data...)
		}
		var out bytes.Buffer
		for {
			i := bytes.IndexByte(pending, '\n')
			if i < 0 {
				break
			}
			writeCRI(&out, "F", pending[:i])
			pending = pending[i+1:]
			pendingSince = time.Now()
		}
		if len(pending) > 0 && time.Since(pendingSince) > 500*time.Millisecond {
			writeCRI(&out, "P", pending)
			pending = nil
		}
		if out.Len() > 0 {
			f, err := os.OpenFile(dst, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err != nil {
				continue
			}
			_, _ = f.Write(out.Bytes())
			_ = f.Close()
		}
	}
}

func readFrom(path string, off int64) ([]byte, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, off, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, off, err
	}
	if fi.Size() < off { // truncated: start again
		off = 0
	}
	if fi.Size() == off {
		return nil, off, nil
	}
	data := make([]byte, fi.Size()-off)
	n, err := f.ReadAt(data, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, off, err
	}
	return data[:n], off + int64(n), nil
}

func writeCRI(out *bytes.Buffer, tag string, line []byte) {
	out.WriteString(time.Now().UTC().Format(criTimeFormat))
	out.WriteString(" stdout ")
	out.WriteString(tag)
	out.WriteByte(' ')
	out.Write(line)
	out.WriteByte('\n')
}
