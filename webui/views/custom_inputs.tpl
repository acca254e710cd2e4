% for d in fields:
%   v = values.get(d['name'])
%   fid = 'cf-' + d['name']
%   if d['type'] == 'multi-choice':
    <fieldset id="{{fid}}"><legend>{{d['label']}}{{' *' if d['required'] else ''}}</legend>
%     for ch in d['choices']:
      <label class="check"><input type="checkbox" name="cf_{{d['name']}}" value="{{ch}}"{{' checked' if v and ch in v else ''}}> {{ch}}</label>
%     end
    </fieldset>
%   elif d['type'] == 'choice':
    <label for="{{fid}}">{{d['label']}}{{' *' if d['required'] else ''}}</label>
    <select id="{{fid}}" name="cf_{{d['name']}}"><option value="">–</option>
%     for ch in d['choices']:
      <option value="{{ch}}"{{' selected' if v == ch else ''}}>{{ch}}</option>
%     end
    </select>
%   else:
    <label for="{{fid}}">{{d['label']}}{{' *' if d['required'] else ''}}</label>
    <input id="{{fid}}" name="cf_{{d['name']}}" value="{{'' if v is None else v}}"{{!' type="date"' if d['type'] == 'date' else ' inputmode="decimal"' if d['type'] == 'number' else ''}}>
%   end
% end
