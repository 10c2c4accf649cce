// The banner of a refused form on the admin pages, shown only when it adds
// something: a 422 whose every error is already printed beside its field
// needs no second "please correct the fields" box (in a narrow card it
// would push the button away); anything else goes to the shared <Problem>.
import { Problem } from '../components.jsx';

export function FormProblem({ problem, fields }) {
	if (!problem) return null;
	const errors = problem.errors || [];
	if (errors.length && errors.every((e) => fields.includes(e.field))) return null;
	return <Problem problem={problem} fields={fields} />;
}
