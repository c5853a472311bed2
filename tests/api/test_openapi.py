from openapi_spec_validator import validate


def test_openapi_document_is_valid_and_generated_from_schemas(client):
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    assert "/api/v1/datasets" in spec["paths"]
    assert set(spec["paths"]["/api/v1/datasets/{dataset_id}"]) >= {"get", "patch"}
    dataset_input = spec["components"]["schemas"]["DatasetInput"]
    # Taken from the marshmallow schema: required fields and the accessLevel vocabulary.
    assert {"title", "description", "accessLevel", "contactPoint"} <= set(dataset_input["required"])
    assert dataset_input["properties"]["accessLevel"]["enum"] == [
        "public",
        "restricted public",
        "non-public",
    ]
    assert "required" not in spec["components"]["schemas"]["DatasetPatch"]


def _resolve(node, components):
    """Inline ``#/components/schemas/X`` references so jsonschema can check a body."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _resolve(components[node["$ref"].rsplit("/", 1)[-1]], components)
        return {key: _resolve(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, components) for item in node]
    return node


def test_dataset_document_matches_its_documented_schema(client, make_dataset):
    from jsonschema import validate as validate_json

    dataset = make_dataset(
        accessLevel="non-public", rights="Personal data.",
        distribution=[{"accessURL": "https://data.ct.gov/x"}],
    )  # fmt: skip
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/datasets/{dataset_id}"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    body = client.get(f"/api/v1/datasets/{dataset.id}").json
    assert {"conformance", "sharing_reviews"} <= set(body)
    validate_json(body, _resolve(schema, spec["components"]["schemas"]))
