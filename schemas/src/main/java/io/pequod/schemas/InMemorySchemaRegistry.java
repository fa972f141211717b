package io.pequod.schemas;

import org.apache.avro.Schema;
import org.apache.avro.SchemaValidationException;
import org.apache.avro.SchemaValidatorBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-process schema registry ({@code mem://NAME}): ids from 1, one id per distinct schema,
 * BACKWARD compatibility per subject checked with Avro's own validator. For tests without a broker.
 */
final class InMemorySchemaRegistry implements SchemaRegistryClient {
    private static final Map<String, InMemorySchemaRegistry> BY_NAME = new ConcurrentHashMap<>();

    private final String url;
    private final Map<Schema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();
    private final Map<String, List<Schema>> versions = new ConcurrentHashMap<>();
    private final Map<String, String> levels = new ConcurrentHashMap<>();

    private InMemorySchemaRegistry(String url) {
        this.url = url;
    }

    static InMemorySchemaRegistry named(String url) {
        return BY_NAME.computeIfAbsent(url, InMemorySchemaRegistry::new);
    }

    @Override
    public String url() {
        return url;
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        List<Schema> vs = versions.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!vs.contains(schema)) {
            if (!isCompatible(subject, schema)) {
                throw new SchemaRegistryException("registry at " + url + " rejected the schema as incompatible while registering"
                        + " a schema under subject " + subject, 409, null);
            }
            vs.add(schema);
        }
        return ids.computeIfAbsent(schema, s -> {
            int id = schemas.size() + 1;
            schemas.put(id, s);
            return id;
        });
    }

    @Override
    public Schema schemaById(int id) {
        Schema s = schemas.get(id);
        if (s == null) {
            throw new SchemaRegistryException("registry at " + url + " answered HTTP 404 while fetching schema id " + id
                    + ": Schema " + id + " not found", 404, null);
        }
        return s;
    }

    @Override
    public synchronized boolean isCompatible(String subject, Schema schema) {
        List<Schema> vs = versions.getOrDefault(subject, List.of());
        if (vs.isEmpty() || "NONE".equals(levels.get(subject))) {
            return true;
        }
        try {
            new SchemaValidatorBuilder().canReadStrategy().validateLatest().validate(schema, List.of(vs.get(vs.size() - 1)));
            return true;
        } catch (SchemaValidationException e) {
            return false;
        }
    }

    @Override
    public void setCompatibility(String subject, String level) {
        levels.put(subject, level);
    }
}
