// CloudFront Function (viewer request) on /app/*: the browser app is one page whose router
// reads the path, so every address under /app/ that is not one of its files is the entry page.
// Files are the hashed assets under /app/assets/ and names with an extension at the top level.
// Runs in cloudfront-js-2.0; tested by app-routes.test.mjs (node --test).
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.indexOf("/app/assets/") === 0) {
    return request;
  }
  var last = uri.substring(uri.lastIndexOf("/") + 1);
  if (uri.lastIndexOf("/") === 4 && last.indexOf(".") > 0) {
    // A top-level file of the build (robots.txt, a favicon).
    return request;
  }
  request.uri = "/app/index.html";
  return request;
}
