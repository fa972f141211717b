package io.pequod.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/** {@link SchemaRegistryClient} over Confluent's REST API, with caches. Thread-safe. */
final class HttpSchemaRegistryClient implements SchemaRegistryClient {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final HttpClient http;
    private final Duration timeout;
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    /**
     * @param baseUrl the registry's URL, e.g. {@code http://127.0.0.1:8081} (cannot be {@code null})
     * @param timeout the time limit of each request (cannot be {@code null})
     */
    HttpSchemaRegistryClient(String baseUrl, Duration timeout) {
        Objects.requireNonNull(baseUrl, "baseUrl cannot be null");
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.timeout = Objects.requireNonNull(timeout, "timeout cannot be null");
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** @return the registry's URL */
    @Override
    public String url() {
        return baseUrl;
    }

    /**
     * Registers {@code schema} under {@code subject} (or finds it registered) and returns its id.
     *
     * @param subject the subject, e.g. {@code pequod.t-value} (cannot be {@code null})
     * @param schema  the schema (cannot be {@code null})
     * @return the schema's global id
     * @throws SchemaRegistryException if the registry is unreachable or rejects the schema
     *                                 ({@link SchemaRegistryException#isIncompatible()} for 409)
     */
    @Override
    public int register(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
        JsonNode r = send("POST", "/subjects/" + enc(subject) + "/versions", body, "registering a schema under subject " + subject);
        int id = r.path("id").asInt(-1);
        if (id < 0) {
            throw new SchemaRegistryException("registry at " + baseUrl + " answered without an id when registering subject "
                    + subject + ": " + r, 200, null);
        }
        ids.put(schema, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    /**
     * @param id a schema id from a record's header
     * @return the schema
     * @throws SchemaRegistryException if the registry is unreachable or does not know the id
     */
    @Override
    public Schema schemaById(int id) {
        Schema s = schemasById.get(id);
        if (s != null) {
            return s;
        }
        JsonNode r = send("GET", "/schemas/ids/" + id, null, "fetching schema id " + id);
        try {
            s = new Schema.Parser().parse(r.path("schema").asText());
        } catch (RuntimeException e) {
            throw new SchemaRegistryException("registry at " + baseUrl + " returned an unreadable schema for id " + id
                    + ": " + e.getMessage(), 200, e);
        }
        schemasById.putIfAbsent(id, s);
        return s;
    }

    /**
     * @param subject the subject (cannot be {@code null})
     * @param schema  a candidate schema (cannot be {@code null})
     * @return whether the registry would accept {@code schema} as the subject's next version
     * @throws SchemaRegistryException if the registry is unreachable or fails
     */
    @Override
    public boolean isCompatible(String subject, Schema schema) {
        ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
        try {
            return send("POST", "/compatibility/subjects/" + enc(subject) + "/versions/latest", body,
                    "checking compatibility for subject " + subject).path("is_compatible").asBoolean(false);
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                return true; // no version yet: anything is compatible
            }
            throw e;
        }
    }

    /**
     * @param subject the subject (cannot be {@code null})
     * @param level   {@code BACKWARD}, {@code FORWARD}, {@code FULL}, {@code NONE} or a transitive variant
     * @throws SchemaRegistryException if the registry is unreachable or refuses
     */
    @Override
    public void setCompatibility(String subject, String level) {
        send("PUT", "/config/" + enc(subject), JSON.createObjectNode().put("compatibility", level),
                "setting compatibility " + level + " for subject " + subject);
    }

    private JsonNode send(String method, String path, JsonNode body, String what) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .header("Accept", CONTENT_TYPE);
        if (body != null) {
            b.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SchemaRegistryException("registry at " + baseUrl + " is unreachable (" + e + ") while " + what, 0, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted while " + what + " at " + baseUrl, 0, e);
        }
        JsonNode json = parse(r.body());
        if (r.statusCode() / 100 != 2) {
            String reason = json.path("message").asText(r.body());
            String kind = r.statusCode() == 409 ? "rejected the schema as incompatible" : "answered HTTP " + r.statusCode();
            throw new SchemaRegistryException("registry at " + baseUrl + " " + kind + " while " + what + ": " + reason,
                    r.statusCode(), null);
        }
        return json;
    }

    private static JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode().put("message", body);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
