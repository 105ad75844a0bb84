// Swagger UI over the merged OpenAPI document (a file of its own: the CSP allows no inline script).
window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: false,
});
