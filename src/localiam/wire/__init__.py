"""AWS wire protocols, driven by botocore's service models.

One small module per protocol turns an HTTP request into ``(service, operation, params)`` and a
result or an :class:`~localiam.errors.AwsError` back into the bytes AWS would send:

- :mod:`.models` loads botocore's installed service models and checks the constraints they declare;
- :mod:`.protocol` is the common interface (``ParsedRequest``, ``Response``, ``Protocol``);
- :mod:`.query` is the query protocol (IAM, STS), :mod:`.json_protocol` awsJson (Organizations),
  :mod:`.rest_xml` rest-xml (S3) and :mod:`.rest_json` rest-json (Lambda), the two rest protocols
  sharing :mod:`.rest` (request-URI routes, HTTP member locations);
- :mod:`.routing` picks the service and protocol of a request;
- :mod:`.unserved` answers requests for services and operations localiam does not implement
  (501 ``NotImplemented``, in the protocol of the service asked for);
- :mod:`.limits` holds every request limit (body ceilings, request line and headers, nesting).

This layer imports no other localiam layer, only :mod:`localiam.errors` and botocore; it knows no
service logic.
"""
