package io.pequod.apps.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.pequod.apps.cli.PequodCli;
import io.pequod.server.PequodConfig;
import io.pequod.views.config.EngineConfig;
import io.pequod.views.spec.JoinSpec;
import io.pequod.views.spec.JoinSpecParser;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.StringReader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * deploy/kubernetes's manifests, parsed with fabric8's Kubernetes model (no cluster) and checked
 * against the server's own configuration: the {@code serve} command line parses, the settings
 * files it reads are the mounted ConfigMap and Secret, every setting they name is one
 * {@link PequodConfig} defines (or a pass-through Kafka client setting) and the merged settings
 * validate; ports, probes, the data volume, the instance id, the services, the PDB and the joins.
 * The manifests are never applied here.
 */
class KubernetesManifestsTest {
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of("ConfigMap", ConfigMap.class, "Secret", Secret.class,
            "Service", Service.class, "StatefulSet", StatefulSet.class, "PodDisruptionBudget", PodDisruptionBudget.class);
    private static final List<String> PREFIXES = List.of(EngineConfig.STREAMS_PREFIX, EngineConfig.PRODUCER_PREFIX,
            EngineConfig.CONSUMER_PREFIX, EngineConfig.ADMIN_PREFIX);
    /** A settings line left commented out as an example: {@code #name=value}. */
    private static final Pattern COMMENTED_SETTING = Pattern.compile("^#\\s*([A-Za-z][A-Za-z0-9._-]*)\\s*=.*$");

    /** Every resource of deploy/kubernetes, in kustomization.yaml's order. */
    record Manifests(List<HasMetadata> resources) {
        <T extends HasMetadata> List<T> all(Class<T> kind) {
            return resources.stream().filter(kind::isInstance).map(kind::cast).toList();
        }

        <T extends HasMetadata> T one(Class<T> kind, String name) {
            return all(kind).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " named " + name));
        }

        <T extends HasMetadata> T only(Class<T> kind) {
            List<T> l = all(kind);
            assertEquals(1, l.size(), "one " + kind.getSimpleName() + " expected");
            return l.get(0);
        }
    }

    static Path deployDir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy/kubernetes"))) {
                return p.resolve("deploy");
            }
        }
        throw new AssertionError("no deploy/kubernetes above " + Path.of("").toAbsolutePath());
    }

    static Manifests load() throws IOException {
        Path dir = deployDir().resolve("kubernetes");
        JsonNode kustomization = YAML.readTree(dir.resolve("kustomization.yaml").toFile());
        assertEquals("Kustomization", kustomization.path("kind").asText());
        List<String> listed = new ArrayList<>();
        kustomization.path("resources").forEach(n -> listed.add(n.asText()));
        Set<String> present;
        try (Stream<Path> s = Files.list(dir)) {
            present = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml") || n.endsWith(".yml"))
                    .filter(n -> !n.equals("kustomization.yaml")).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(present, new TreeSet<>(listed), "kustomization.yaml must list every manifest of " + dir);
        List<HasMetadata> out = new ArrayList<>();
        for (String file : listed) {
            out.addAll(parse(file, Files.readString(dir.resolve(file), StandardCharsets.UTF_8)));
        }
        return new Manifests(out);
    }

    /** @return the resources of one manifest file, each of a known kind and without fields the model does not know */
    static List<HasMetadata> parse(String file, String yaml) throws IOException {
        List<HasMetadata> out = new ArrayList<>();
        for (JsonNode doc : YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml).readAll()) {
            if (doc == null || doc.isNull() || doc.isEmpty()) {
                continue;
            }
            String kind = doc.path("kind").asText();
            Class<? extends HasMetadata> type = KINDS.get(kind);
            assertNotNull(type, file + ": unexpected kind '" + kind + "'");
            HasMetadata r = YAML.treeToValue(doc, type);
            assertEquals(expectedApiVersion(kind), r.getApiVersion(), file + ": apiVersion of " + kind);
            List<String> unknown = new ArrayList<>();
            unknownFields(r, kind, unknown, new IdentityHashMap<>());
            assertEquals(List.of(), unknown, file + ": fields the Kubernetes model does not know (typos?)");
            out.add(r);
        }
        return out;
    }

    private static String expectedApiVersion(String kind) {
        return switch (kind) {
            case "StatefulSet" -> "apps/v1";
            case "PodDisruptionBudget" -> "policy/v1";
            default -> "v1";
        };
    }

    /** Collects fields the model kept as "additional properties": names it does not know. */
    private static void unknownFields(Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || seen.put(o, true) != null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", out, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method g : o.getClass().getMethods()) {
            if (g.getParameterCount() != 0 || !g.getName().startsWith("get") || Modifier.isStatic(g.getModifiers())
                    || g.getDeclaringClass() == Object.class) {
                continue;
            }
            Object v;
            try {
                v = g.invoke(o);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
            if (g.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> out.add(path + "." + k));
                }
            } else {
                unknownFields(v, path + "." + g.getName().substring(3), out, seen);
            }
        }
    }

    // ---- the checks -------------------------------------------------------------------------

    /** What the container's {@code serve} command line says, resolved against the mounted files. */
    record Serve(Map<String, Object> settings, PequodConfig config, String joinsText, Map<String, String> set, List<String> configFiles) {
    }

    static Container container(StatefulSet s) {
        List<Container> cs = s.getSpec().getTemplate().getSpec().getContainers();
        assertEquals(1, cs.size(), "one container");
        return cs.get(0);
    }

    /** @return the contents of a file the container reads, from the ConfigMap or Secret mounted at its directory */
    static String mountedFile(Manifests m, StatefulSet s, String path) {
        Container c = container(s);
        Path p = Path.of(path);
        VolumeMount mount = c.getVolumeMounts().stream().filter(vm -> Path.of(vm.getMountPath()).equals(p.getParent())).findFirst()
                .orElseThrow(() -> new AssertionError("nothing is mounted at " + p.getParent() + " (for " + path + ")"));
        Volume v = s.getSpec().getTemplate().getSpec().getVolumes().stream().filter(x -> x.getName().equals(mount.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + mount.getName()));
        String key = p.getFileName().toString();
        if (v.getConfigMap() != null) {
            String text = m.one(ConfigMap.class, v.getConfigMap().getName()).getData().get(key);
            assertNotNull(text, "ConfigMap " + v.getConfigMap().getName() + " has no key " + key);
            return text;
        }
        if (v.getSecret() != null) {
            Secret sec = m.one(Secret.class, v.getSecret().getSecretName());
            String text = sec.getStringData() == null ? null : sec.getStringData().get(key);
            if (text == null && sec.getData() != null && sec.getData().get(key) != null) {
                text = new String(java.util.Base64.getDecoder().decode(sec.getData().get(key)), StandardCharsets.UTF_8);
            }
            assertNotNull(text, "Secret " + sec.getMetadata().getName() + " has no key " + key);
            return text;
        }
        throw new AssertionError(path + " is on volume " + v.getName() + ", neither a ConfigMap nor a Secret");
    }

    /** Parses the container's arguments with the real {@code pequod serve} command line and merges its settings as serve does. */
    static Serve serve(Manifests m) throws IOException {
        StatefulSet s = m.only(StatefulSet.class);
        Container c = container(s);
        List<String> args = new ArrayList<>(c.getCommand() == null ? List.of() : c.getCommand());
        args.addAll(c.getArgs());
        assertEquals("serve", args.get(0), "the image's entry point is the pequod command line; the first argument must be serve");
        CommandLine.ParseResult top = PequodCli.commandLine().parseArgs(args.toArray(String[]::new));
        CommandLine.ParseResult pr = top.subcommand();
        assertEquals("serve", pr.commandSpec().name());
        Map<String, Object> settings = new LinkedHashMap<>();
        List<String> configFiles = new ArrayList<>();
        List<Path> given = pr.matchedOptionValue("--config", List.of());
        for (Path f : given) {
            configFiles.add(f.toString());
            String text = mountedFile(m, s, f.toString());
            checkSettingNames(f.toString(), text);
            Properties p = new Properties();
            p.load(new StringReader(text));
            p.stringPropertyNames().forEach(k -> settings.put(k, p.getProperty(k)));
        }
        Map<String, String> set = pr.matchedOptionValue("--set", Map.of());
        set.keySet().forEach(k -> checkSettingName("--set", k));
        settings.putAll(set);
        Map<String, String> options = new LinkedHashMap<>(Map.of("--data-dir", PequodConfig.DATA_DIR, "--http-port", PequodConfig.HTTP_PORT,
                "--resp-port", PequodConfig.RESP_PORT, "--memento-port", PequodConfig.MEMENTO_PORT, "--bind", PequodConfig.BIND,
                "--advertise", PequodConfig.ADVERTISED_HOST, "--auth-token", PequodConfig.AUTH_TOKEN,
                "--bootstrap-servers", EngineConfig.BOOTSTRAP_SERVERS, "--schema-registry", EngineConfig.SCHEMA_REGISTRY_URL,
                "--namespace", EngineConfig.NAMESPACE));
        options.putAll(Map.of("--partitions", EngineConfig.PARTITIONS, "--standby-replicas", EngineConfig.STANDBY_REPLICAS));
        options.forEach((option, setting) -> {
            if (pr.hasMatchedOption(option)) {
                settings.put(setting, pr.matchedOption(option).getValue().toString());
            }
        });
        PequodConfig config = new PequodConfig(settings); // names and values, validated as at start
        Path joins = pr.matchedOptionValue("--joins", null);
        assertNotNull(joins, "serve needs --joins");
        return new Serve(settings, config, mountedFile(m, s, joins.toString()), set, configFiles);
    }

    static void checkSettingName(String where, String name) {
        boolean defined = PequodConfig.definition().names().contains(name);
        boolean passThrough = PREFIXES.stream().anyMatch(name::startsWith);
        assertTrue(defined || passThrough, where + ": " + name + " is neither a setting PequodConfig defines nor under "
                + String.join(", ", PREFIXES));
        assertTrue(!name.startsWith("pequod.") || defined, where + ": unknown setting " + name);
    }

    /** Also the settings left commented out as examples: they must be right once uncommented. */
    static void checkSettingNames(String file, String text) {
        for (String line : text.split("\n")) {
            Matcher mm = COMMENTED_SETTING.matcher(line.trim());
            if (mm.matches()) {
                checkSettingName(file + " (commented out)", mm.group(1));
            }
        }
    }

    static int port(Container c, IntOrString p) {
        assertNotNull(p, "a probe or service without a port");
        if (p.getIntVal() != null) {
            return p.getIntVal();
        }
        return c.getPorts().stream().filter(cp -> p.getStrVal().equals(cp.getName())).map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + p.getStrVal()));
    }

    static int probePort(Container c, Probe p) {
        if (p.getHttpGet() != null) {
            return port(c, p.getHttpGet().getPort());
        }
        if (p.getTcpSocket() != null) {
            return port(c, p.getTcpSocket().getPort());
        }
        throw new AssertionError("a probe that is neither httpGet nor tcpSocket");
    }

    static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().map(EnvVar::getValueFrom)
                .map(v -> v.getFieldRef() == null ? null : v.getFieldRef().getFieldPath()).orElse(null);
    }

    static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }

    /** Every check of the manifests; throws an AssertionError naming the first that fails. */
    static void check(Manifests m) throws IOException {
        StatefulSet s = m.only(StatefulSet.class);
        Container c = container(s);
        Map<String, String> podLabels = s.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(selects(s.getSpec().getSelector().getMatchLabels(), podLabels), "the StatefulSet's selector matches its pods");
        assertEquals("Parallel", s.getSpec().getPodManagementPolicy(), "podManagementPolicy");

        Serve serve = serve(m);
        PequodConfig cfg = serve.config();
        assertNotNull(cfg.getString(EngineConfig.BOOTSTRAP_SERVERS), "an external Kafka (else serve starts an embedded broker in the pod)");
        assertNotNull(cfg.getString(EngineConfig.SCHEMA_REGISTRY_URL), "an external schema registry");
        assertEquals("0.0.0.0", cfg.getString(PequodConfig.BIND), "instances must listen on every address of the pod");

        // Ports: the container's and the services' are the server's.
        int http = cfg.getInt(PequodConfig.HTTP_PORT);
        int resp = cfg.getInt(PequodConfig.RESP_PORT);
        assertTrue(http > 0, "a fixed HTTP port");
        Map<String, Integer> ports = c.getPorts().stream().collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
        assertEquals(http, ports.get("http"), "container port http is pequod.http.port");
        if (resp >= 0) {
            assertEquals(resp, ports.get("resp"), "container port resp is pequod.resp.port");
        }
        assertEquals(ports.size(), Set.copyOf(ports.values()).size(), "distinct container ports");
        for (Integer p : ports.values()) {
            assertTrue(p == http || p == resp || p == cfg.getInt(PequodConfig.MEMENTO_PORT), "container port " + p + " is none of the server's");
        }

        // Probes: readiness on GET /health of the HTTP port; liveness and startup on the HTTP port.
        Probe ready = c.getReadinessProbe();
        assertNotNull(ready, "a readiness probe");
        assertNotNull(ready.getHttpGet(), "readiness asks /health over HTTP");
        assertEquals("/health", ready.getHttpGet().getPath());
        assertEquals(http, probePort(c, ready), "readiness probe port");
        assertNotNull(c.getLivenessProbe(), "a liveness probe");
        assertEquals(http, probePort(c, c.getLivenessProbe()), "liveness probe port");
        if (c.getLivenessProbe().getHttpGet() != null) {
            assertTrue(c.getLivenessProbe().getFailureThreshold() * c.getLivenessProbe().getPeriodSeconds() >= 600,
                    "a liveness probe on /health must tolerate minutes of restoring");
        }
        if (c.getStartupProbe() != null) {
            assertEquals(http, probePort(c, c.getStartupProbe()), "startup probe port");
        }

        // Identity: the pod's name, through the downward API.
        assertEquals("metadata.name", env(c, "POD_NAME"), "POD_NAME from the pod's name");
        assertEquals("metadata.namespace", env(c, "POD_NAMESPACE"), "POD_NAMESPACE from the pod's namespace");
        assertEquals("$(POD_NAME)", serve.set().get(EngineConfig.INSTANCE_ID), "pequod.instance.id is the pod's name (--set)");
        assertEquals("$(POD_NAME)", cfg.getString(EngineConfig.INSTANCE_ID), "nothing overrides pequod.instance.id");
        Service headless = m.one(Service.class, s.getSpec().getServiceName());
        assertEquals("$(POD_NAME)." + headless.getMetadata().getName() + ".$(POD_NAMESPACE).svc.cluster.local",
                cfg.getString(PequodConfig.ADVERTISED_HOST), "each instance advertises its name under the headless Service");

        // Services: the headless one selects these pods; every service port reaches a container port of ours.
        assertEquals("None", headless.getSpec().getClusterIP(), "the StatefulSet's serviceName is a headless Service");
        assertEquals(Boolean.TRUE, headless.getSpec().getPublishNotReadyAddresses(), "instances reach each other while not ready");
        for (Service svc : m.all(Service.class)) {
            assertTrue(selects(svc.getSpec().getSelector(), podLabels), "Service " + svc.getMetadata().getName() + " selects the pods");
            for (ServicePort sp : svc.getSpec().getPorts()) {
                IntOrString target = sp.getTargetPort() != null ? sp.getTargetPort() : new IntOrString(sp.getPort());
                int p = port(c, target);
                assertTrue(p == http || p == resp, "Service " + svc.getMetadata().getName() + " port " + sp.getName() + " reaches " + p);
                assertEquals(p, sp.getPort(), "Service " + svc.getMetadata().getName() + " keeps the server's port numbers");
            }
        }

        // State: the claim template's volume holds the data directory (Streams state under it).
        assertEquals(1, s.getSpec().getVolumeClaimTemplates().size(), "one volume claim template");
        String claim = s.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName();
        VolumeMount data = c.getVolumeMounts().stream().filter(vm -> vm.getName().equals(claim)).findFirst()
                .orElseThrow(() -> new AssertionError("the claim " + claim + " is not mounted"));
        assertEquals(Path.of(cfg.getString(PequodConfig.DATA_DIR)), Path.of(data.getMountPath()), "the volume is the data directory");
        String stateDir = cfg.getString(EngineConfig.STATE_DIR);
        assertTrue(stateDir == null || Path.of(stateDir).startsWith(data.getMountPath()), "the state directory is on the volume");

        // Leaving cleanly: a pause before SIGTERM and time for the applications to leave their groups (30 s each, side by side).
        assertNotNull(c.getLifecycle() == null ? null : c.getLifecycle().getPreStop(), "a preStop hook");
        Long grace = s.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        assertTrue(grace != null && grace >= 60, "terminationGracePeriodSeconds >= 60");

        // Secrets stay in the Secret.
        assertNotNull(cfg.authToken(), "an auth token");
        for (String file : serve.configFiles()) {
            String text = mountedFile(m, s, file);
            boolean fromSecret = m.all(Secret.class).stream().anyMatch(sec -> sec.getStringData() != null && sec.getStringData().containsValue(text));
            if (!fromSecret) {
                Properties p = new Properties();
                p.load(new StringReader(text));
                assertFalse(p.containsKey(PequodConfig.AUTH_TOKEN), file + " is not a Secret: no auth token there");
                assertFalse(text.contains("sasl.jaas.config"), file + " is not a Secret: no SASL credentials there");
            }
        }
        assertFalse(String.join(" ", c.getArgs()).contains("--auth-token"), "the token on the command line is visible to ps");

        // PDB: one at a time, over the same pods.
        PodDisruptionBudget pdb = m.only(PodDisruptionBudget.class);
        assertEquals(new IntOrString(1), pdb.getSpec().getMaxUnavailable(), "PDB maxUnavailable");
        assertTrue(selects(pdb.getSpec().getSelector().getMatchLabels(), podLabels), "the PDB selects the pods");

        // Joins: the mounted file parses with the server's parser.
        JoinSpec spec = JoinSpecParser.parse("joins.pq", serve.joinsText());
        assertFalse(spec.joins().isEmpty(), "the joins ConfigMap holds joins");
    }

    // ---- the tests --------------------------------------------------------------------------

    @Test
    void manifestsMatchTheServersConfiguration() throws IOException {
        check(load());
    }

    @Test
    void theJoinsConfigMapIsTheTwitterExample() throws IOException {
        Manifests m = load();
        String mounted = serve(m).joinsText();
        Path example = deployDir().getParent().resolve("examples/twitter.pq");
        // Parsed under one name, so that positions (file:line:column) compare too.
        assertEquals(JoinSpecParser.parse("joins.pq", Files.readString(example, StandardCharsets.UTF_8)),
                JoinSpecParser.parse("joins.pq", mounted));
    }

    @Test
    void theChecksCatchWrongManifests() throws IOException {
        check(load());
        failsAfter(m -> container(m.only(StatefulSet.class)).getPorts().get(0).setContainerPort(7071), "container port http");
        failsAfter(m -> container(m.only(StatefulSet.class)).getReadinessProbe().getHttpGet().setPath("/healthz"), "/health");
        failsAfter(m -> m.only(StatefulSet.class).getSpec().setPodManagementPolicy("OrderedReady"), "podManagementPolicy");
        failsAfter(m -> m.one(Service.class, "pequod-headless").getSpec().setClusterIP(null), "headless");
        failsAfter(m -> m.only(PodDisruptionBudget.class).getSpec().getSelector().setMatchLabels(Map.of("app", "other")), "PDB");
        failsAfter(m -> container(m.only(StatefulSet.class)).getVolumeMounts().get(0).setMountPath("/data"), "data directory");
        failsAfter(m -> {
            ConfigMap settings = m.one(ConfigMap.class, "pequod-settings");
            settings.getData().put("pequod.properties", settings.getData().get("pequod.properties") + "\npequod.htp.port=7070\n");
        }, "pequod.htp.port");
        failsAfter(m -> {
            ConfigMap settings = m.one(ConfigMap.class, "pequod-settings");
            settings.getData().put("pequod.properties", settings.getData().get("pequod.properties") + "\n#ssl.truststore.type=PEM\n");
        }, "ssl.truststore.type");
        failsAfter(m -> {
            List<String> args = container(m.only(StatefulSet.class)).getArgs();
            args.set(args.indexOf("pequod.instance.id=$(POD_NAME)"), "pequod.instance.id=pequod");
        }, "instance.id");
        failsAfter(m -> {
            ConfigMap joins = m.one(ConfigMap.class, "pequod-joins");
            joins.getData().put("joins.pq", joins.getData().get("joins.pq").replace("copy p|", "copy q|<"));
        }, "joins.pq:");
    }

    @Test
    void aMisspelledFieldIsCaught() {
        String yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  clusterIp: None\n  ports:\n    - port: 1\n      targetPrt: 2\n";
        AssertionError e = assertThrows(AssertionError.class, () -> parse("x.yaml", yaml));
        assertTrue(e.getMessage().contains("Service.Spec.clusterIp") && e.getMessage().contains("Service.Spec.Ports[0].targetPrt"), e.getMessage());
    }

    private static void failsAfter(Consumer<Manifests> change, String expected) throws IOException {
        Manifests bad = load();
        change.accept(bad);
        Throwable t = assertThrows(Throwable.class, () -> check(bad), "the checks pass after a change that breaks " + expected);
        if (!String.valueOf(t.getMessage()).contains(expected)) {
            fail("expected a failure naming " + expected + ", got: " + t, t);
        }
    }
}
