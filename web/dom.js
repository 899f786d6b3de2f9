// The DOM helper both pages build their views with (index.html and admin.html load this file
// before their own script). Plain browser JavaScript, no build step; text goes into the page
// through textContent, never as HTML.
'use strict';

// el('a', { class, text, ...attributes }, ...children): a new element. Null, undefined and
// false children are left out, so a child can be given as `condition && node`.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}
